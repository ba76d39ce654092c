"""Tools ▸ Sort Files by Uncertainty: the files panel lists the unlabeled images the folder's
trained model is least sure of first; a model of other classes gives a message."""

from __future__ import annotations

from pathlib import Path

from labeldesk.models.device import import_torch
from labeldesk.ui.panels.files import PATH_ROLE
from labeldesk.ui.training import SORT_ID
from tests.gui.test_training_dialog import open_window, write_folder

torch = import_torch()

from labeldesk.models import seg  # noqa: E402
from labeldesk.models.seg.ranking import drive, rank_by_uncertainty  # noqa: E402


def save_untrained(folder: Path, classes: list[str]) -> Path:
    """A randomly initialised tiny network saved where the app looks for the folder's model."""
    torch.manual_seed(0)
    arch = seg.network_config(
        {"arch": "unet", "width": 8, "depth": 3, "num_classes": len(classes) + 1}
    )
    model = seg.SegModel(seg.build_network(arch).eval(), classes, arch)
    return seg.save_model(model, folder / ".labeldesk" / "model.pt")[1]


def panel_order(window) -> list[str]:
    proxy = window.files.proxy
    return [proxy.index(r, 0).data(PATH_ROLE).name for r in range(proxy.rowCount())]


def test_files_sorted_by_uncertainty_then_back(make_window, qtbot, tmp_path) -> None:
    folder = write_folder(tmp_path / "data", labeled=3, unlabeled=5)
    sidecar = save_untrained(folder, ["disc", "square"])
    window, ctl = open_window(make_window, qtbot, folder, 8)
    try:
        before = panel_order(window)
        window.actions[SORT_ID].trigger()
        assert window.actions[SORT_ID].isChecked() and ctl.rank_progress.isVisibleTo(window)
        qtbot.waitUntil(lambda: ctl._rank_rid is None, timeout=30000)
        todo = sorted(folder.glob("new*.png"))
        want = drive(rank_by_uncertainty(seg.load_model(sidecar), todo))
        order = panel_order(window)
        assert order[:5] == [p.name for p in want.order()]
        assert sorted(order[5:]) == ["img00.png", "img01.png", "img02.png"]  # labeled: last
        top, score = want.scores[0]
        assert f"label {top.name} next ({score:.2f})" in window.message_bar.text()
        item = window.files.proxy.index(0, 0)
        assert f"model uncertainty {score:.3f}" in item.data(3)  # the tooltip role
        assert not ctl.rank_progress.isVisibleTo(window)
        window.actions[SORT_ID].trigger()  # unchecked: the folder's order again
        assert not window.actions[SORT_ID].isChecked() and panel_order(window) == before
    finally:
        ctl.stop()


def test_a_model_of_other_classes_is_refused_with_a_message(make_window, qtbot, tmp_path) -> None:
    folder = write_folder(tmp_path / "data", labeled=2, unlabeled=2)
    save_untrained(folder, ["cat"])
    window, ctl = open_window(make_window, qtbot, folder, 4)
    try:
        before = panel_order(window)
        window.actions[SORT_ID].trigger()
        qtbot.waitUntil(lambda: ctl._rank_rid is None, timeout=30000)
        text = window.message_bar.text()
        assert text.startswith("Sort by uncertainty: model.json was trained on classes ['cat']")
        assert "the project has no class 'cat'" in text and "Retrain" in text
        assert not window.actions[SORT_ID].isChecked() and panel_order(window) == before
    finally:
        ctl.stop()
