// HDF5 sessions: round trip of every field, appends that keep foreign groups, every malformed
// file giving a clear error that names the file, and saves that never leave a broken file behind.
#include <H5Cpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "shellscope/session/session_file.h"
#include "shellscope/spectral/run_checks.h"
#include "test_support.h"

using namespace shellscope;
namespace fs = std::filesystem;

namespace {

Run makeRun(const std::string& model, int batches, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> logLambda(-6.0, 2.0), raw(0.0, 1.0);
  std::vector<BatchSpectrum> spectra;
  for (int b = 0; b < batches; ++b) {
    BatchSpectrum s;
    s.batchIndex = b;
    s.stepsTaken = b == 0 ? 5 : 8;  // an early stop: NaN padding in the file
    s.ritzValues.resize(s.stepsTaken);
    s.ritzWeights.resize(s.stepsTaken);
    for (int i = 0; i < s.stepsTaken; ++i) {
      s.ritzValues(i) = std::pow(10.0, logLambda(rng));
      s.ritzWeights(i) = raw(rng);
    }
    std::sort(s.ritzValues.data(), s.ritzValues.data() + s.stepsTaken);
    s.ritzWeights /= s.ritzWeights.sum();
    s.errorNorm2 = 4.0 + raw(rng);
    s.loss = 2.0;
    s.nTokens = 128;
    s.orthogonalityLoss = 1e-15;
    s.seconds = 0.5;
    // The quadratures from e ± 1 (compute --cross-dissipation), of different lengths.
    s.errorPlusOnes.ritzValues = s.ritzValues.head(3);
    s.errorPlusOnes.ritzWeights = Eigen::Vector3d(0.2, 0.3, 0.5);
    s.errorPlusOnes.norm2 = s.errorNorm2 + 2 * s.loss + 1;  // mean((e + 1)²)
    s.errorMinusOnes.ritzValues = s.ritzValues.tail(2);
    s.errorMinusOnes.ritzWeights = Eigen::Vector2d(0.6, 0.4);
    s.errorMinusOnes.norm2 = s.errorNorm2 - 2 * s.loss + 1;
    spectra.push_back(s);
  }
  RunMetadata m;
  m.modelName = model;
  m.checkpoint = "/data/" + model + "/step1000";
  m.step = 1000;
  m.nParams = 70426624;
  m.observable = "lm-logprob";
  m.device = "cpu";
  m.dtype = "float32";
  m.lanczosMode = "full";
  m.lanczosSteps = 8;
  m.shellsPerDecade = 4;
  m.batchSize = 4;
  m.seqLen = 32;
  m.dataSource = "pile-val.bin, ütf-8 ✓";
  m.jvpMethod = "forward";
  m.lanczosTolerance = 1e-6;
  m.adaptiveTolerance = 0.15;
  m.lanczosMaxSteps = 96;
  m.relativeFloor = 1e-6;
  m.seed = 3;
  m.threads = 2;
  m.createdAt = "2026-11-29T12:00:00Z";
  m.softwareVersion = "shellscope test";
  m.computeSeconds = 12.5;
  return assembleRun(m, spectra, ShellWindowPolicy{});
}

Session makeSession() {
  Session s;
  s.addRun(makeRun("pythia-70m", 3, 1));
  s.addRun(makeRun("pythia-410m", 2, 2));
  return s;
}

bool sameMatrix(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Changes a valid session file with the HDF5 C API (as a foreign or broken writer would).
using Mutation = std::function<void(hid_t file)>;
void mutate(const std::string& path, const Mutation& change) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  QVERIFY(file >= 0);
  change(file);
  H5Fclose(file);
  resealSession(path);  // a deliberate edit: past the checksum, to reach the checks behind it
}

void writeIntAttribute(hid_t object, const char* name, long long value) {
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attribute, H5T_NATIVE_LLONG, &value);
  H5Aclose(attribute);
  H5Sclose(space);
}

void writeStringAttribute(hid_t object, const char* name, const char* value) {
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attribute, type, &value);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

void replaceDataset(hid_t file, const char* path, std::vector<hsize_t> dims, double fill = 0.0) {
  H5Ldelete(file, path, H5P_DEFAULT);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dataset = H5Dcreate2(file, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<double> zeros(1000, fill);
  H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  H5Dclose(dataset);
  H5Sclose(space);
}

}  // namespace

class TestSessionFile : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void roundTripKeepsEveryField() {
    const Session original = makeSession();
    const std::string file = path("roundtrip.h5");
    writeSession(file, original);
    const Session read = readSession(file);
    QCOMPARE(read.runs.size(), original.runs.size());
    for (size_t i = 0; i < read.runs.size(); ++i) {
      const Run& a = original.runs[i];
      const Run& b = read.runs[i];
      QCOMPARE(b.id, a.id);
      QCOMPARE(b.meta.modelName, a.meta.modelName);
      QCOMPARE(b.meta.checkpoint, a.meta.checkpoint);
      QCOMPARE(b.meta.step, a.meta.step);
      QCOMPARE(b.meta.nParams, a.meta.nParams);
      QCOMPARE(b.meta.observable, a.meta.observable);
      QCOMPARE(b.meta.device, a.meta.device);
      QCOMPARE(b.meta.dtype, a.meta.dtype);
      QCOMPARE(b.meta.lanczosMode, a.meta.lanczosMode);
      QCOMPARE(b.meta.lanczosSteps, a.meta.lanczosSteps);
      QCOMPARE(b.meta.shellsPerDecade, a.meta.shellsPerDecade);
      QCOMPARE(b.meta.batchSize, a.meta.batchSize);
      QCOMPARE(b.meta.seqLen, a.meta.seqLen);
      QCOMPARE(b.meta.nBatches, a.meta.nBatches);
      QCOMPARE(b.meta.dataSource, a.meta.dataSource);
      QCOMPARE(b.meta.jvpMethod, a.meta.jvpMethod);
      QCOMPARE(b.meta.lanczosTolerance, a.meta.lanczosTolerance);
      QCOMPARE(b.meta.adaptiveTolerance, a.meta.adaptiveTolerance);
      QCOMPARE(b.meta.lanczosMaxSteps, a.meta.lanczosMaxSteps);
      QCOMPARE(b.meta.seed, a.meta.seed);
      QCOMPARE(b.meta.createdAt, a.meta.createdAt);
      QCOMPARE(b.meta.computeSeconds, a.meta.computeSeconds);
      QCOMPARE(b.window.firstEdgeIndex, a.window.firstEdgeIndex);
      QCOMPARE(b.window.shellCount, a.window.shellCount);
      QCOMPARE(b.lambdaFloor, a.lambdaFloor);
      QVERIFY(sameMatrix(b.shellEnergy, a.shellEnergy));
      QVERIFY(sameMatrix(b.shellEnergyBatches, a.shellEnergyBatches));
      QVERIFY(sameMatrix(b.underflow, a.underflow));
      QVERIFY(sameMatrix(b.overflow, a.overflow));
      QVERIFY(sameMatrix(b.ritzValues, a.ritzValues));
      QVERIFY(sameMatrix(b.ritzWeights, a.ritzWeights));
      QVERIFY(sameMatrix(b.errorNorm2, a.errorNorm2));
      QVERIFY(sameMatrix(b.loss, a.loss));
      QVERIFY(sameMatrix(b.orthogonalityLoss, a.orthogonalityLoss));
      QCOMPARE(b.stepsTaken, a.stepsTaken);
      QCOMPARE(b.nTokens, a.nTokens);
      QCOMPARE(b.batchIndex, a.batchIndex);
      QVERIFY(std::isnan(b.ritzValues(0, 7)));  // batch 0 stopped after 5 steps
      QVERIFY(!b.polarisation.empty());
      QVERIFY(sameMatrix(b.polarisation.plusValues, a.polarisation.plusValues));
      QVERIFY(sameMatrix(b.polarisation.plusWeights, a.polarisation.plusWeights));
      QVERIFY(sameMatrix(b.polarisation.minusValues, a.polarisation.minusValues));
      QVERIFY(sameMatrix(b.polarisation.minusWeights, a.polarisation.minusWeights));
      QVERIFY(sameMatrix(b.polarisation.plusNorm2, a.polarisation.plusNorm2));
      QVERIFY(sameMatrix(b.polarisation.minusNorm2, a.polarisation.minusNorm2));
      QVERIFY(std::isnan(b.polarisation.minusValues(0, 2)));  // two values, then NaN
      QVERIFY(b.massIdentityResidual() < 1e-14);
    }
  }

  void aMovedTreeKeepsWorkingRelativePathsWhenSavedAgain() {
    // inputs/ckpt and results/s.h5 in one tree; the tree moves; the session read from its new
    // place resolves the checkpoint through the relative path, and writing it again keeps that.
    namespace fs = std::filesystem;
    const fs::path tree = fs::path(path("tree"));
    fs::create_directories(tree / "inputs");
    fs::create_directories(tree / "results");
    std::ofstream(tree / "inputs" / "ckpt") << "weights";
    Session session;
    Run run = makeRun("m", 2, 4);
    RunMetadata& m = run.meta;
    m.checkpoint = "ckpt";
    m.checkpointAbsolute = (tree / "inputs" / "ckpt").string();
    m.dataAbsolute = (tree / "inputs" / "gone.bin").string();  // never existed: left as recorded
    m.dataRelative = "../inputs/gone.bin";
    session.addRun(run);
    writeSession((tree / "results" / "s.h5").string(), session);
    const fs::path moved = fs::path(path("moved"));
    fs::rename(tree, moved);
    const Session read = readSession((moved / "results" / "s.h5").string());
    QCOMPARE(read.runs[0].meta.checkpointAbsolute, (moved / "inputs" / "ckpt").string());
    QCOMPARE(read.runs[0].meta.checkpointRelative, std::string("../inputs/ckpt"));
    QCOMPARE(read.runs[0].meta.dataAbsolute, (tree / "inputs" / "gone.bin").string());
    writeSession((moved / "results" / "again.h5").string(), read);
    const Session again = readSession((moved / "results" / "again.h5").string());
    QCOMPARE(again.runs[0].meta.checkpointRelative, std::string("../inputs/ckpt"));
    QCOMPARE(again.runs[0].meta.checkpointAbsolute, (moved / "inputs" / "ckpt").string());
  }

  void trainingLogsRoundTripAndSurviveAppends() {
    const std::string file = path("training.h5");
    TrainingLog log;
    log.modelName = "nano-1m";
    log.tokensPerStep = 256;
    log.steps = {0, 1, 2, 3};
    log.loss = Eigen::Vector4d(6.9, 6.5, 6.0, 5.8);
    log.learningRate = Eigen::Vector4d(1e-4, 2e-4, 3e-4, 3e-4);
    writeTrainingLogs(file, {log});  // creates the session
    appendRuns(file, {makeRun("nano-1m", 2, 8)});
    log.loss(3) = 5.5;  // replacing a model's log keeps the rest
    writeTrainingLogs(file, {log});
    const Session session = readSession(file);
    QCOMPARE(session.runs.size(), size_t(1));
    QCOMPARE(session.trainingLogs.size(), size_t(1));
    const TrainingLog& read = session.trainingLogs.front();
    QCOMPARE(read.modelName, std::string("nano-1m"));
    QCOMPARE(read.steps, log.steps);
    QVERIFY(read.loss == log.loss);
    QVERIFY(read.learningRate == log.learningRate);
    QCOMPARE(read.tokensPerStep, std::int64_t(256));
    // The learning rate accumulated before checkpoint step 3 is the effective training time.
    QVERIFY(std::abs(read.accumulatedLearningRate(3) - 6e-4) < 1e-15);
    QCOMPARE(read.accumulatedLearningRate(0), 0.0);
    H5::H5File h5(file, H5F_ACC_RDONLY);
    QVERIFY(h5.nameExists("training/nano-1m/accumulated_learning_rate"));
  }

  void viewStatesRoundTripInOrderAndSurviveAppends() {
    const std::string file = path("states.h5");
    Session session;
    session.addRun(makeRun("a", 2, 11));
    // The core keeps the text as it is, UTF-8 and all; it never parses it.
    session.viewStates = {{"figure 2a", "{\"tab\": \"profile\"}"}, {"talk", "{}"}, {"λ-zoom ünïcode", "x"}};
    writeSession(file, session);
    appendRuns(file, {makeRun("b", 2, 12)});
    const Session read = readSession(file);
    QCOMPARE(read.runs.size(), size_t(2));
    QCOMPARE(read.viewStates.size(), size_t(3));
    for (std::size_t i = 0; i < 3; ++i) {
      QCOMPARE(read.viewStates[i].name, session.viewStates[i].name);
      QCOMPARE(read.viewStates[i].json, session.viewStates[i].json);
    }
    // A session without them has none, and writes no group.
    const std::string plain = path("no-states.h5");
    writeSession(plain, Session{});
    QVERIFY(readSession(plain).viewStates.empty());
    QVERIFY(!H5::H5File(plain, H5F_ACC_RDONLY).nameExists("view_states"));
    // Two states of one name cannot be written.
    session.viewStates.push_back({"talk", "{}"});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, writeSession(path("twice.h5"), session));
  }

  void damagedViewStatesNameTheFileAndTheProblem() {
    const std::string file = path("bad-states.h5");
    Session session;
    session.addRun(makeRun("a", 2, 13));
    session.viewStates = {{"one", "{}"}, {"two", "{}"}};
    writeSession(file, session);
    mutate(file, [](hid_t f) {  // three states for two names
      H5Ldelete(f, "view_states/states", H5P_DEFAULT);
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      const hsize_t three = 3;
      const hid_t space = H5Screate_simple(1, &three, nullptr);
      const hid_t data = H5Dcreate2(f, "view_states/states", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      const char* texts[3] = {"{}", "{}", "{}"};
      H5Dwrite(data, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, texts);
      H5Dclose(data);
      H5Sclose(space);
      H5Tclose(type);
    });
    try {
      readSession(file);
      QFAIL("a damaged /view_states was read");
    } catch (const SessionFileError& e) {
      const std::string what = e.what();
      QVERIFY2(what.find(file) != std::string::npos && what.find("/view_states") != std::string::npos &&
                   what.find("states") != std::string::npos,
               e.what());
    }
  }

  void emptySessionRoundTrips() {
    const std::string file = path("empty.h5");
    writeSession(file, Session{});
    QCOMPARE(readSession(file).runs.size(), size_t(0));
  }

  void appendAddsRunsAndKeepsForeignGroups() {
    const std::string file = path("append.h5");
    const std::vector<std::string> first = appendRuns(file, {makeRun("a", 2, 3)});  // creates the file
    QCOMPARE(first, std::vector<std::string>{"run-0001"});
    mutate(file, [](hid_t f) {
      const hid_t group = H5Gcreate2(f, "analysis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      writeIntAttribute(group, "kept", 42);
      H5Gclose(group);
    });
    const std::vector<std::string> ids = appendRuns(file, {makeRun("b", 2, 4), makeRun("c", 3, 5)});
    QCOMPARE(ids, (std::vector<std::string>{"run-0002", "run-0003"}));
    const Session session = readSession(file);
    QCOMPARE(session.runs.size(), size_t(3));
    QCOMPARE(session.runs[2].meta.modelName, std::string("c"));
    H5::H5File h5(file, H5F_ACC_RDONLY);
    QVERIFY(h5.nameExists("analysis"));
    QCOMPARE(filesIn(dir_.path().toStdString()).size(), filesIn(dir_.path().toStdString()).size());
  }

  void meaningChecksNameTheRunAndTheValue() {
    // Values that have the right shapes but cannot be: refused on reading with the run and the
    // entry named; `info --check` (checkSessionFile) lists every one.
    const std::string file = path("meaning.h5");
    writeSession(file, makeSession());
    QVERIFY(checkSessionFile(file).empty());
    const Session good = readSession(file);
    const Run& first = good.runs[0];
    const hsize_t B = static_cast<hsize_t>(first.batchCount()), S = static_cast<hsize_t>(first.shellCount());
    mutate(file, [&](hid_t h5) {
      // shell_energy with a NaN at shell 2 and +inf at shell 3.
      std::vector<double> energy(first.shellEnergy.data(), first.shellEnergy.data() + S);
      energy[2] = std::nan("");
      energy[3] = INFINITY;
      const hid_t data = H5Dopen2(h5, "/runs/run-0001/shell_energy", H5P_DEFAULT);
      H5Dwrite(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, energy.data());
      H5Dclose(data);
      // steps_taken far past the Ritz columns in batch 1 of the second run.
      std::vector<long long> steps(static_cast<std::size_t>(good.runs[1].batchCount()), 1);
      steps[1] = 1LL << 40;
      const hid_t taken = H5Dopen2(h5, "/runs/run-0002/steps_taken", H5P_DEFAULT);
      H5Dwrite(taken, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, steps.data());
      H5Dclose(taken);
    });
    (void)B;
    try {
      readSession(file);
      QFAIL("a NaN shell energy was accepted");
    } catch (const SessionFileError& e) {
      QVERIFY2(std::string(e.what()).find("/runs/run-0001: shell_energy[2] is NaN") != std::string::npos, e.what());
    }
    const std::vector<std::string> problems = checkSessionFile(file);
    auto listed = [&](const std::string& part) {
      return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(part) != std::string::npos; });
    };
    QVERIFY(listed("/runs/run-0001: shell_energy[2] is NaN"));
    QVERIFY(listed("/runs/run-0001: shell_energy[3] is +inf"));
    QVERIFY(listed("/runs/run-0002: batch 1: steps_taken is 1099511627776"));
    // Each batch keeps its mass identity and weight sum in a sound run; breaking one is named too.
    Run broken = good.runs[0];
    broken.underflow(0) += 0.5 * broken.errorNorm2(0);
    broken.ritzWeights(1, 0) += 0.25;
    const std::vector<std::string> runProblemsFound = runProblems(broken);
    QVERIFY(std::any_of(runProblemsFound.begin(), runProblemsFound.end(),
                        [](const std::string& p) { return p.find("batch 0: shells + underflow + overflow hold") == 0; }));
    QVERIFY(std::any_of(runProblemsFound.begin(), runProblemsFound.end(),
                        [](const std::string& p) { return p.find("batch 1: the Gauss weights sum to") == 0; }));
  }

  void aChecksumGuardsTheFileBeforeHdf5ParsesIt() {
    // Six changed bytes in a saved session once crashed libhdf5 reading a variable-length string
    // attribute. Every byte after the user block is covered by the checksum, so any change, in a
    // string heap or anywhere else, is named before the library sees the file.
    const std::string file = path("sealed.h5");
    writeSession(file, makeSession());
    std::string bytes;
    {
      std::ifstream in(file, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    QVERIFY(bytes.rfind("shellscope-checksum sha256 ", 0) == 0);
    QCOMPARE(bytes.substr(512, 4), std::string("\x89HDF"));
    // The model name is a variable-length string in the global heap: damage it.
    const std::size_t at = bytes.find("pythia-70m");
    QVERIFY(at != std::string::npos && at > 512);
    for (std::size_t k = 0; k < 6; ++k) bytes[at + k] = static_cast<char>(bytes[at + k] ^ 0x5A);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    try {
      readSession(file);
      QFAIL("a damaged session was read");
    } catch (const SessionFileError& e) {
      QVERIFY2(std::string(e.what()).find("checksum mismatch") != std::string::npos, e.what());
    }
    QCOMPARE(checkSessionFile(file).size(), std::size_t(1));
    // A deliberate change is accepted by resealing; what it changed is then read (and checked).
    resealSession(file);
    const Session read = readSession(file);
    QVERIFY(read.runs[0].meta.modelName != "pythia-70m");
    // Saving again (append, analysis) keeps the seal.
    appendRuns(file, {makeRun("more", 2, 9)});
    QCOMPARE(readSession(file).runs.size(), std::size_t(3));
  }

  void aHugeDeclaredDatasetIsRefusedBeforeItIsAllocated() {
    // 2^36 doubles declared (512 GiB) in a file of a few kB: refused naming the dataset, where it
    // once ended in std::bad_alloc with nothing named.
    const std::string file = path("huge.h5");
    writeSession(file, makeSession());
    mutate(file, [&](hid_t h5) {
      H5Ldelete(h5, "/runs/run-0001/loss", H5P_DEFAULT);
      const hsize_t dims[1] = {hsize_t(1) << 36};
      const hid_t space = H5Screate_simple(1, dims, nullptr);
      const hid_t dataset = H5Dcreate2(h5, "/runs/run-0001/loss", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Dclose(dataset);  // never written: no storage is allocated
      H5Sclose(space);
    });
    QVERIFY(std::filesystem::file_size(file) < (1u << 20));
    try {
      readSession(file);
      QFAIL("a 2^36-element dataset was accepted");
    } catch (const SessionFileError& e) {
      QVERIFY2(std::string(e.what()).find("/runs/run-0001: dataset 'loss' declares 68719476736 values") != std::string::npos,
               e.what());
    }
  }

  void malformedFilesGiveClearErrors_data() {
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing file") << 0 << "no such file";
    QTest::newRow("directory") << 1 << "is a directory";
    QTest::newRow("text file") << 2 << "not an HDF5 file";
    QTest::newRow("truncated") << 3 << "the file changed after it was written (checksum mismatch)";
    QTest::newRow("foreign HDF5") << 4 << "not a ShellScope session";
    QTest::newRow("other format") << 5 << "format is 'other-tool'";
    QTest::newRow("other version") << 6 << "format version 2 is not supported";
    QTest::newRow("no runs group") << 7 << "missing group '/runs'";
    QTest::newRow("missing attribute") << 8 << "/runs/run-0001: missing attribute 'step'";
    QTest::newRow("missing dataset") << 9 << "/runs/run-0002: missing dataset 'ritz_weights'";
    QTest::newRow("wrong shape") << 10 << "dataset 'shell_energy_batches' has shape [3,2], expected [3,";
    QTest::newRow("wrong attribute type") << 11 << "attribute 'step' is not an integer";
    QTest::newRow("edges off the grid") << 12 << "not on the global grid";
    QTest::newRow("batch count mismatch") << 13 << "dataset 'shell_energy_batches' has shape [3,";
  }
  void malformedFilesGiveClearErrors() {
    QFETCH(int, kind);
    QFETCH(QString, expected);
    const std::string file = path(("bad-" + std::to_string(kind) + ".h5").c_str());
    if (kind >= 3) writeSession(file, makeSession());
    switch (kind) {
      case 0: break;
      case 1: fs::create_directory(file); break;
      case 2: std::ofstream(file) << "model,step\npythia,1000\n"; break;
      case 3: fs::resize_file(file, fs::file_size(file) / 2); break;
      case 4:
        fs::remove(file);
        H5Fclose(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
        break;
      case 5: mutate(file, [](hid_t f) { writeStringAttribute(f, "format", "other-tool"); }); break;
      case 6: mutate(file, [](hid_t f) { writeIntAttribute(f, "format_version", 2); }); break;
      case 7: mutate(file, [](hid_t f) { H5Ldelete(f, "runs", H5P_DEFAULT); }); break;
      case 8: mutate(file, [](hid_t f) { H5Adelete_by_name(f, "runs/run-0001", "step", H5P_DEFAULT); }); break;
      case 9: mutate(file, [](hid_t f) { H5Ldelete(f, "runs/run-0002/ritz_weights", H5P_DEFAULT); }); break;
      case 10: mutate(file, [](hid_t f) { replaceDataset(f, "runs/run-0001/shell_energy_batches", {3, 2}); }); break;
      case 11:
        mutate(file, [](hid_t f) {
          const hid_t g = H5Gopen2(f, "runs/run-0001", H5P_DEFAULT);
          writeStringAttribute(g, "step", "1000");
          H5Gclose(g);
        });
        break;
      case 12: mutate(file, [](hid_t f) { replaceDataset(f, "runs/run-0001/shell_edges", {5}, 0.5); }); break;
      case 13:
        mutate(file, [](hid_t f) {
          const hid_t g = H5Gopen2(f, "runs/run-0001", H5P_DEFAULT);
          writeIntAttribute(g, "n_batches", 4);
          H5Gclose(g);
        });
        break;
    }
    try {
      readSession(file);
      QFAIL("a malformed file was accepted");
    } catch (const SessionFileError& e) {
      const QString message = QString::fromStdString(e.what());
      QVERIFY2(message.startsWith(QString::fromStdString(file)), qPrintable(message));
      QVERIFY2(message.contains(expected), qPrintable(message));
      QCOMPARE(QString::fromStdString(e.path()), QString::fromStdString(file));
    }
  }

  void appendToAMalformedFileChangesNothing() {
    const std::string file = path("foreign.h5");
    H5Fclose(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    const std::string before = readBytes(file);
    QVERIFY_THROWS_EXCEPTION(SessionFileError, appendRuns(file, {makeRun("x", 1, 9)}));
    QCOMPARE(readBytes(file), before);
  }

  void failedSaveLeavesTheOldFileAndNoTemporary() {
    QTemporaryDir local;
    const std::string file = local.filePath("session.h5").toStdString();
    writeSession(file, makeSession());
    const std::string before = readBytes(file);
    const auto failing = [](const std::string& temporary) {
      QVERIFY(fs::exists(temporary));
      throw std::runtime_error("simulated failure before commit");
    };
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, writeSession(file, Session{}, failing));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, appendRuns(file, {makeRun("x", 1, 9)}, failing));
    QCOMPARE(readBytes(file), before);
    QCOMPARE(filesIn(local.path().toStdString()), std::vector<std::string>{"session.h5"});
  }

  void failureWhileWritingLeavesTheOldFile() {
    QTemporaryDir local;
    const std::string file = local.filePath("session.h5").toStdString();
    writeSession(file, makeSession());
    const std::string before = readBytes(file);
    Session broken = makeSession();
    broken.runs.push_back(broken.runs[0]);  // duplicate group name: HDF5 refuses mid-write
    QVERIFY_THROWS_EXCEPTION(SessionFileError, writeSession(file, broken));
    QCOMPARE(readBytes(file), before);
    QCOMPARE(filesIn(local.path().toStdString()), std::vector<std::string>{"session.h5"});
  }

  void crashDuringSaveLeavesAReadableSession() {
    // A child process dies (no unwinding, no cleanup) right before the rename.
    QTemporaryDir local;
    const std::string file = local.filePath("session.h5").toStdString();
    writeSession(file, makeSession());
    const std::string before = readBytes(file);
    const pid_t child = fork();
    if (child == 0) {
      Session bigger = makeSession();
      bigger.addRun(makeRun("extra", 4, 77));
      writeSession(file, bigger, [](const std::string&) { ::_exit(3); });
      ::_exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 3);
    QCOMPARE(readBytes(file), before);
    QCOMPARE(readSession(file).runs.size(), size_t(2));
    // The killed save left its temporary. It is recent, so the next save keeps it (it could be a
    // process on another machine); once untouched for kStaleTemporarySeconds it is removed.
    const auto leftovers = [&] {
      std::vector<std::string> names = filesIn(local.path().toStdString());
      names.erase(std::remove(names.begin(), names.end(), "session.h5"), names.end());
      return names;
    };
    QCOMPARE(leftovers().size(), size_t(1));
    QVERIFY(leftovers()[0].find(".session.h5.tmp-" + std::to_string(child) + "-") == 0);
    writeSession(file, makeSession());
    QCOMPARE(leftovers().size(), size_t(1));
    // A stale staging file of writeSessionWithAnalysis and one of a live process (this one) too.
    const fs::path dir = local.path().toStdString();
    std::ofstream(dir / (".session.h5.staging-" + std::to_string(child))) << "x";
    std::ofstream(dir / (".session.h5.tmp-" + std::to_string(::getpid()) + "-999")) << "x";
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const std::string& name : leftovers()) fs::last_write_time(dir / name, old);
    writeSession(file, makeSession());
    QCOMPARE(leftovers(), std::vector<std::string>{".session.h5.tmp-" + std::to_string(::getpid()) + "-999"});
  }

  void writingIntoAMissingDirectoryIsAnError() {
    try {
      writeSession(path("no/such/dir/session.h5"), makeSession());
      QFAIL("accepted a missing directory");
    } catch (const SessionFileError& e) {
      QVERIFY(QString(e.what()).contains("does not exist"));
    }
  }
};

QTEST_APPLESS_MAIN(TestSessionFile)
#include "test_session_file.moc"
