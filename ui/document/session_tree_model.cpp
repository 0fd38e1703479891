#include "ui/document/session_tree_model.h"

#include <QIcon>
#include <QLocale>
#include <QPainter>
#include <QPixmap>
#include <map>

#include "ui/document/session_document.h"

namespace shellscope::ui {

struct SessionTreeModel::Node {
  enum class Kind { Root, Model, Checkpoint, Run } kind = Kind::Root;
  std::string model;
  std::int64_t step = -1;
  std::string runId;
  Node* parent = nullptr;
  std::vector<std::unique_ptr<Node>> children;
  int row = 0;

  Node* add(Kind k) {
    auto child = std::make_unique<Node>();
    child->kind = k;
    child->parent = this;
    child->row = static_cast<int>(children.size());
    children.push_back(std::move(child));
    return children.back().get();
  }
};

namespace {

QIcon swatch(const QColor& color) {
  QPixmap pixmap(14, 14);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setBrush(color);
  painter.setPen(color.darker(130));
  painter.drawRoundedRect(QRectF(1, 1, 12, 12), 3, 3);
  return QIcon(pixmap);
}

}  // namespace

SessionTreeModel::SessionTreeModel(SessionDocument* document, QObject* parent)
    : QAbstractItemModel(parent), document_(document), root_(std::make_unique<Node>()) {
  rebuild();
  connect(document_, &SessionDocument::sessionReset, this, [this] {
    beginResetModel();
    rebuild();
    endResetModel();
  });
  connect(document_, &SessionDocument::runsAdded, this, [this] {
    beginResetModel();
    rebuild();
    endResetModel();
  });
  connect(document_, &SessionDocument::checkedChanged, this, [this] {
    // Check states of every level may change: repaint the whole tree.
    std::function<void(const QModelIndex&)> touch = [&](const QModelIndex& parent) {
      const int rows = rowCount(parent);
      if (rows == 0) return;
      Q_EMIT dataChanged(index(0, 0, parent), index(rows - 1, 0, parent), {Qt::CheckStateRole});
      for (int r = 0; r < rows; ++r) touch(index(r, 0, parent));
    };
    touch(QModelIndex());
  });
  connect(document_, &SessionDocument::analysisChanged, this, [this] {
    if (rowCount() > 0) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, 0), {Qt::ToolTipRole});
  });
}

SessionTreeModel::~SessionTreeModel() = default;

void SessionTreeModel::rebuild() {
  root_ = std::make_unique<Node>();
  for (const std::string& model : document_->models()) {
    Node* modelNode = root_->add(Node::Kind::Model);
    modelNode->model = model;
    Node* checkpoint = nullptr;
    for (const Run* run : document_->runsOf(model)) {
      if (!checkpoint || checkpoint->step != run->meta.step) {
        checkpoint = modelNode->add(Node::Kind::Checkpoint);
        checkpoint->model = model;
        checkpoint->step = run->meta.step;
      }
      Node* runNode = checkpoint->add(Node::Kind::Run);
      runNode->model = model;
      runNode->step = run->meta.step;
      runNode->runId = run->id;
    }
  }
}

SessionTreeModel::Node* SessionTreeModel::nodeOf(const QModelIndex& index) const {
  return index.isValid() ? static_cast<Node*>(index.internalPointer()) : root_.get();
}

QModelIndex SessionTreeModel::index(int row, int column, const QModelIndex& parent) const {
  const Node* p = nodeOf(parent);
  if (column != 0 || row < 0 || row >= static_cast<int>(p->children.size())) return {};
  return createIndex(row, column, p->children[static_cast<std::size_t>(row)].get());
}

QModelIndex SessionTreeModel::parent(const QModelIndex& child) const {
  const Node* node = nodeOf(child);
  if (!child.isValid() || node->parent == root_.get()) return {};
  return createIndex(node->parent->row, 0, node->parent);
}

int SessionTreeModel::rowCount(const QModelIndex& parent) const { return static_cast<int>(nodeOf(parent)->children.size()); }

int SessionTreeModel::columnCount(const QModelIndex&) const { return 1; }

std::vector<std::string> SessionTreeModel::runIdsUnder(const QModelIndex& index) const {
  std::vector<std::string> ids;
  std::function<void(const Node*)> collect = [&](const Node* n) {
    if (n->kind == Node::Kind::Run) ids.push_back(n->runId);
    for (const auto& c : n->children) collect(c.get());
  };
  collect(nodeOf(index));
  return ids;
}

Qt::CheckState SessionTreeModel::checkState(const Node* node) const {
  int on = 0, total = 0;
  std::function<void(const Node*)> count = [&](const Node* n) {
    if (n->kind == Node::Kind::Run) {
      ++total;
      on += document_->isChecked(n->runId);
    }
    for (const auto& c : n->children) count(c.get());
  };
  count(node);
  return on == 0 ? Qt::Unchecked : on == total ? Qt::Checked : Qt::PartiallyChecked;
}

QVariant SessionTreeModel::data(const QModelIndex& index, int role) const {
  const Node* node = nodeOf(index);
  if (!index.isValid()) return {};
  const QLocale locale;
  switch (role) {
    case Qt::DisplayRole: {
      if (node->kind == Node::Kind::Model) {
        const auto runs = document_->runsOf(node->model);
        const std::int64_t params = runs.empty() ? 0 : runs.front()->meta.nParams;
        return QString("%1  (%2 parameters)").arg(QString::fromStdString(node->model), locale.toString(static_cast<qlonglong>(params)));
      }
      if (node->kind == Node::Kind::Checkpoint) return node->step >= 0 ? tr("step %1").arg(node->step) : tr("step unknown");
      const Run* run = document_->run(node->runId);
      if (!run) return {};
      return QString("%1  %2×%3×%4, m=%5, %6")
          .arg(QString::fromStdString(run->id))
          .arg(run->batchCount())
          .arg(run->meta.batchSize)
          .arg(run->meta.seqLen)
          .arg(run->meta.lanczosSteps)
          .arg(QString::fromStdString(run->meta.lanczosMode));
    }
    case Qt::CheckStateRole:
      return checkState(node);
    case Qt::DecorationRole:
      if (node->kind == Node::Kind::Model) return swatch(document_->colorOfModel(node->model));
      if (node->kind == Node::Kind::Run) {
        if (const Run* run = document_->run(node->runId)) return swatch(document_->colorOf(*run));
      }
      if (node->kind == Node::Kind::Checkpoint && !node->children.empty()) {  // its first run's colour
        if (const Run* run = document_->run(node->children.front()->runId)) return swatch(document_->colorOf(*run));
      }
      return {};
    case Qt::ToolTipRole:
      if (node->kind == Node::Kind::Run) {
        const Run* run = document_->run(node->runId);
        const auto* a = document_->analysisOf(node->runId);
        if (!run) return {};
        QString tip = QString::fromStdString(run->meta.checkpoint);
        if (a && a->frontier.status.ok()) tip += tr("\nfrontier λ* = %1").arg(a->frontier.lambda, 0, 'g', 3);
        return tip;
      }
      return {};
    case RunIdRole:
      return QString::fromStdString(node->runId);
    default:
      return {};
  }
}

bool SessionTreeModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::CheckStateRole || !index.isValid()) return false;
  const bool on = value.value<Qt::CheckState>() != Qt::Unchecked;
  document_->setChecked(runIdsUnder(index), on);
  return true;
}

Qt::ItemFlags SessionTreeModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable;
}

QVariant SessionTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (section == 0 && orientation == Qt::Horizontal && role == Qt::DisplayRole) return tr("Models, checkpoints and runs");
  return {};
}

}  // namespace shellscope::ui
