"""The palette lists every catalogue layer in its group, filters as you type, explains
each entry in a tooltip and drags out the payload the canvas accepts."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt

from dlstudio.graph import all_layer_specs
from dlstudio.ui.palette import (
    LAYER_MIME,
    PaletteWidget,
    layer_mime_data,
    layer_type_from_mime,
)


def make_palette(qtbot) -> PaletteWidget:
    palette = PaletteWidget()
    qtbot.addWidget(palette)
    palette.show()
    return palette


def test_every_layer_type_is_listed_under_its_group_with_its_help(qtbot) -> None:
    palette = make_palette(qtbot)
    groups = {palette.tree.topLevelItem(i).text(0)
              for i in range(palette.tree.topLevelItemCount())}
    assert {"Inputs", "Core", "Convolution", "Pooling", "Normalisation", "Activations",
            "Recurrent", "Merge", "Output"} <= groups
    for spec in all_layer_specs():
        entry = palette.entry(spec.type)
        assert entry.parent().text(0) == spec.category.capitalize()
        assert spec.help in entry.toolTip(0)
    assert palette.visible_types() == [spec.type for spec in all_layer_specs()]


def test_search_filters_entries_and_hides_empty_groups(qtbot) -> None:
    palette = make_palette(qtbot)
    qtbot.keyClicks(palette.search, "conv")
    shown = palette.visible_types()
    assert {"Conv1d", "Conv2d", "ConvTranspose2d"} <= set(shown)
    assert "Dense" not in shown and "LSTM" not in shown
    recurrent = palette.entry("LSTM").parent()
    assert recurrent.isHidden() and not palette.entry("Conv2d").parent().isHidden()
    palette.search.clear()
    assert len(palette.visible_types()) == len(all_layer_specs())
    qtbot.keyClicks(palette.search, "no such layer")
    assert palette.visible_types() == []


def test_search_finds_layers_by_their_pytorch_and_common_names(qtbot) -> None:
    palette = make_palette(qtbot)
    expected = {"linear": "Dense", "fc": "Dense", "fully connected": "Dense",
                "nn.Linear": "Dense", "batchnorm": "BatchNorm2d", "bn": "BatchNorm1d",
                "lstm": "LSTM", "relu": "ReLU", "pool": "MaxPool2d", "dropout": "Dropout",
                "embedding": "Embedding", "swish": "SiLU", "deconv": "ConvTranspose2d",
                "gap": "GlobalAvgPool", "cat": "Concat"}
    for query, type_name in expected.items():
        palette.search.clear()
        qtbot.keyClicks(palette.search, query)
        assert type_name in palette.visible_types(), query
        assert palette.no_match.isHidden()
    palette.search.clear()
    qtbot.keyClicks(palette.search, "fc")
    assert palette.visible_types() == ["Dense"]


def test_a_search_that_finds_nothing_says_so(qtbot) -> None:
    palette = make_palette(qtbot)
    qtbot.keyClicks(palette.search, "zzz")
    assert palette.visible_types() == []
    assert palette.no_match.isVisible()
    assert palette.no_match.text().startswith("No layer matches 'zzz'")
    palette.search.clear()
    assert palette.no_match.isHidden()


def test_drag_payload_round_trips_and_unknown_payloads_are_refused(qtbot) -> None:
    palette = make_palette(qtbot)
    mime = palette.tree.mimeData([palette.entry("Dense")])
    assert mime.hasFormat(LAYER_MIME)
    assert layer_type_from_mime(mime) == "Dense"
    assert layer_type_from_mime(layer_mime_data("LSTM")) == "LSTM"
    foreign = QMimeData()
    foreign.setText("Dense")
    assert layer_type_from_mime(foreign) is None
    assert layer_type_from_mime(layer_mime_data("NoSuchLayer")) is None
    assert palette.entry("Dense").flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_double_click_asks_to_add_the_layer(qtbot) -> None:
    palette = make_palette(qtbot)
    with qtbot.waitSignal(palette.layer_activated) as signal:
        palette.tree.itemActivated.emit(palette.entry("Dropout"), 0)
    assert signal.args == ["Dropout"]
