#pragma once
// The "Compute shell energies" dialog: model source (a built-in model, or checkpoints of a folder
// discovered in the background and listed by step), token data, optional held-out data (a file,
// other Pythia rows, or a built-in model's own later batches: docs/generalisation.md), and the
// computation settings. OK is enabled only while the settings are valid; the reason is shown under
// the form. The last used values are remembered in QSettings (group "compute").

#include <QDialog>
#include <QString>
#include <QStringList>
#include <vector>

#include "shellscope/data/checkpoint_series.h"
#include "shellscope/engine/compute.h"

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTimer;

namespace shellscope::ui {

class ComputeDialog : public QDialog {
  Q_OBJECT
 public:
  /// Prefilled with the last used values.
  explicit ComputeDialog(QWidget* parent = nullptr);
  ~ComputeDialog() override;

  /// The settings as shown. Settings the dialog does not show (window, tolerances, JVP method)
  /// keep the values of the last setSettings().
  shellscope::ComputeSettings settings() const;
  /// Prefills the dialog. Models that are checkpoint paths select the folder (the only model, or
  /// the parent of the first) and, once it is scanned, check exactly those checkpoints.
  void setSettings(const shellscope::ComputeSettings& settings);
  /// A short title for the job list, e.g. "pythia-70m: 154 checkpoints (8×4×64, 64 Lanczos steps)".
  QString jobTitle() const;

  /// Why OK is disabled; empty when the settings are valid.
  QString problem() const { return problem_; }
  bool isValid() const { return problem_.isEmpty(); }
  /// Whether a checkpoint folder is being scanned.
  bool isScanning() const;
  /// Selects "checkpoint folder" and scans `folder` in the background, as Browse… does.
  void setCheckpointFolder(const QString& folder);
  /// The scanned folder's checkpoints, in step order, and the paths of the checked ones.
  const std::vector<shellscope::CheckpointEntry>& checkpoints() const { return entries_; }
  QStringList checkedCheckpoints() const;

  QPushButton* okButton() const { return okButton_; }
  QListWidget* checkpointList() const { return checkpointList_; }

 public Q_SLOTS:
  /// Accepting saves the values in QSettings; it is refused while the settings are invalid.
  void done(int result) override;

 private:
  enum class ScanState { Idle, Pending, Scanning, Done, Failed };
  enum class DataKind { None, Missing, MmidIdx, Npy, Text, RawNamed, Raw };
  struct ScanResult;

  void buildUi();
  void loadStoredSettings();
  void storeSettings() const;
  bool folderMode() const;
  QString folderText() const;
  DataKind dataKind() const;
  /// The held-out data file's kind (None: no file, or the built-in model's own batches).
  DataKind heldOutKind() const;
  static DataKind kindOf(const QString& path);
  /// Starts a background scan of `folder` (results of earlier scans are dropped).
  void startScan(const QString& folder);
  void applyScan(const ScanResult& result);
  void folderEdited();
  void scanIfChanged();
  void setAllChecked(bool checked);
  void browseFolder();
  void browseData();
  void browseHeldOut();
  void browseTokenizer();
  /// Re-checks everything, updates the message, the OK button and the rows shown.
  void revalidate();
  QString findProblem() const;

  // Model source
  QButtonGroup* sourceGroup_ = nullptr;
  QRadioButton* builtinRadio_ = nullptr;
  QRadioButton* folderRadio_ = nullptr;
  QComboBox* builtinCombo_ = nullptr;
  QLineEdit* folderEdit_ = nullptr;
  QPushButton* folderBrowse_ = nullptr;
  QLabel* scanLabel_ = nullptr;
  QListWidget* checkpointList_ = nullptr;
  QPushButton* allButton_ = nullptr;
  QPushButton* noneButton_ = nullptr;
  QLabel* countLabel_ = nullptr;
  QTimer* scanTimer_ = nullptr;
  // Data
  QFormLayout* dataForm_ = nullptr;
  QLineEdit* dataEdit_ = nullptr;
  QLabel* dataKindLabel_ = nullptr;
  QComboBox* rawDtypeCombo_ = nullptr;
  QLineEdit* tokenizerEdit_ = nullptr;
  QSpinBox* trainingStepSpin_ = nullptr;
  QLineEdit* heldOutEdit_ = nullptr;
  QPushButton* heldOutBrowse_ = nullptr;
  QCheckBox* heldOutBuiltinCheck_ = nullptr;
  QSpinBox* heldOutStepSpin_ = nullptr;
  QCheckBox* heldOutCrossEntropyCheck_ = nullptr;
  // Computation
  QSpinBox* batchesSpin_ = nullptr;
  QSpinBox* batchSizeSpin_ = nullptr;
  QSpinBox* seqLenSpin_ = nullptr;
  QComboBox* lanczosModeCombo_ = nullptr;
  QSpinBox* lanczosStepsSpin_ = nullptr;
  QDoubleSpinBox* adaptiveSpin_ = nullptr;
  QSpinBox* maxStepsSpin_ = nullptr;
  QCheckBox* crossDissipationCheck_ = nullptr;
  QCheckBox* recomputeCheck_ = nullptr;
  QSpinBox* shellsSpin_ = nullptr;
  QComboBox* deviceCombo_ = nullptr;
  QComboBox* dtypeCombo_ = nullptr;
  QLineEdit* seedEdit_ = nullptr;
  QSpinBox* threadsSpin_ = nullptr;
  QLabel* messageLabel_ = nullptr;
  QPushButton* okButton_ = nullptr;

  shellscope::ComputeSettings base_;  ///< values of settings the dialog does not show
  ScanState scanState_ = ScanState::Idle;
  int scanGeneration_ = 0;            ///< a scan's result is used only if no newer one started
  QString scanFolder_;                ///< the folder being scanned or scanned last
  QString scanError_;
  std::vector<shellscope::CheckpointEntry> entries_;
  QStringList pendingSelection_;      ///< checkpoints to check once the scan ends; empty: all
  QString problem_;
  bool updating_ = false;             ///< set while setSettings fills the widgets
};

}  // namespace shellscope::ui
