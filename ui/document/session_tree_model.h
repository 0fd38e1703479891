#pragma once
// The session tree: model -> checkpoint (step) -> run, with check boxes that choose what the views
// show and colour swatches that match the charts.

#include <QAbstractItemModel>
#include <memory>
#include <string>
#include <vector>

namespace shellscope::ui {

class SessionDocument;

class SessionTreeModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  /// Role of the run id (std::string as QString) of a run row; empty for other rows.
  static constexpr int RunIdRole = Qt::UserRole + 1;

  explicit SessionTreeModel(SessionDocument* document, QObject* parent = nullptr);
  ~SessionTreeModel() override;

  QModelIndex index(int row, int column, const QModelIndex& parent = QModelIndex()) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

  /// The run ids under a row (one for a run row).
  std::vector<std::string> runIdsUnder(const QModelIndex& index) const;

 private:
  struct Node;
  void rebuild();
  Node* nodeOf(const QModelIndex& index) const;
  Qt::CheckState checkState(const Node* node) const;

  SessionDocument* document_;
  std::unique_ptr<Node> root_;
};

}  // namespace shellscope::ui
