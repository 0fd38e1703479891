// config.json: JSON, the family it selects and every setting the family reads. The model is built
// with zero tensors of the shapes the config implies, up to a budget (a real load would compare
// those shapes with the stored tensors; a config asking for more is a valid rejection here).
#include <nlohmann/json.hpp>

#include "checkpoints/checkpoint_io.h"
#include "fuzz_support.h"

using namespace shellscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::writeScratch("config.json", data, size);
  return fuzz::rejectOrAccept([&] {
    const nlohmann::json config = engine::readJsonFile(path);
    const engine::ModelFamily& family = engine::ModelFamilyRegistry::instance().forConfig(config, path);
    std::int64_t budget = std::int64_t{1} << 20;  // elements, over all tensors
    auto zeros = [&](const std::string& name, const std::vector<std::int64_t>& shape, engine::TensorRole) {
      std::int64_t numel = 1;
      for (std::int64_t d : shape) {
        if (d < 0) throw std::runtime_error("negative dimension asked for " + name);
        if (d > 0 && numel > budget / d) throw std::runtime_error("over the fuzzer's budget");
        numel *= d;
      }
      budget -= numel;
      return at::zeros(shape, at::kFloat);
    };
    (void)family.build(config, path, zeros);
  });
}
