#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/base/input_file.h"
#include "shellscope/data/token_data.h"
#include "shellscope/data/tokenizer.h"

namespace shellscope::cli {

namespace {
bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

int tokenizeCommand(const Arguments& args) {
  CommandLine cl("tokenize", "tokenize --tokenizer tokenizer.json --input FILE [--input FILE ...] --out OUT",
                 "Turns text into a token file. OUT decides the format: NAME.npy (one array), NAME.bin or\n"
                 "NAME.idx (an MMIDIDX pair, one sequence per document), NAME.u16/.u32/.i32/.i64 (raw tokens).");
  std::string tokenizerPath, out, unit = "file", dtypeName;
  std::vector<std::string> inputs;
  bool endOfDocument = false, noSpecialTokens = false;
  cl.option("tokenizer", "FILE", "a Hugging Face tokenizer.json (byte-level or SentencePiece-style BPE)", tokenizerPath);
  cl.option("input", "FILE", "UTF-8 text", inputs);
  cl.option("out", "OUT", "output file (format by extension)", out);
  cl.option("documents", "UNIT", "what a document is: file | line", unit);
  cl.flag("eod", "append <|endoftext|> (or </s>) after every document", endOfDocument);
  cl.flag("no-special-tokens", "leave out the post-processor's tokens (Llama's <s> before every document)",
          noSpecialTokens);
  cl.option("dtype", "TYPE", "token dtype", dtypeName).defaultText("u16 when the vocabulary fits, else i32");
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  cl.require("tokenizer");
  cl.require("input");
  cl.require("out");
  if (unit != "file" && unit != "line") throw UsageError("--documents must be file or line");
  const Tokenizer tokenizer = Tokenizer::load(tokenizerPath);
  std::optional<std::int64_t> eod;
  if (endOfDocument) {
    eod = tokenizer.endOfDocumentId();
    if (!eod) throw std::runtime_error(tokenizer.path() + ": has no <|endoftext|> or </s> token for --eod");
  }
  const TokenDType dtype = !dtypeName.empty() ? parseTokenDType(dtypeName)
                                           : (tokenizer.vocabSize() <= 65536 ? TokenDType::U16 : TokenDType::I32);

  std::vector<std::vector<std::int64_t>> documents;
  auto addDocument = [&](const std::string& text) {
    std::vector<std::int64_t> ids = tokenizer.encode(text, /*addSpecialTokens=*/!noSpecialTokens);
    if (eod) ids.push_back(*eod);
    if (!ids.empty()) documents.push_back(std::move(ids));
  };
  for (const std::string& input : inputs) {
    requireRegularFile(input);
    std::ifstream in(input, std::ios::binary);
    if (!in) throw std::runtime_error(input + ": cannot open");
    std::stringstream whole;
    whole << in.rdbuf();
    const std::string text = whole.str();
    requireUtf8(text, input);  // the byte offset is into the file, whether documents are files or lines
    if (unit == "file") {
      addDocument(text);
    } else {
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) addDocument(line);
      }
    }
  }
  std::vector<std::int64_t> all;
  for (const auto& d : documents) all.insert(all.end(), d.begin(), d.end());

  std::string written;
  TokenDType used = dtype;
  if (endsWith(out, ".npy")) {
    writeNpy(out, all, dtype);
    written = out;
  } else if (endsWith(out, ".bin") || endsWith(out, ".idx")) {
    const std::string prefix = out.substr(0, out.size() - 4);
    writeMmidIdx(prefix, documents, dtype);
    written = prefix + ".bin + .idx";
  } else {
    const std::string extension = std::filesystem::path(out).extension().string();
    if (extension.size() < 2) throw UsageError("--out needs an extension: .npy, .bin, .idx, .u16, .u32, .i32 or .i64");
    used = parseTokenDType(extension.substr(1));
    writeRawTokens(out, all, used);
    written = out;
  }
  std::cout << written << ": " << documents.size() << " document(s), " << all.size() << " tokens ("
            << toString(used) << ")\n";
  return 0;
}

}  // namespace shellscope::cli
