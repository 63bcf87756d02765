"""Autosave and crash recovery: copies are written while there are unsaved changes, a
clean close removes them, and a copy left by a process that died is offered back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from dlstudio.graph.project import Project, load_project
from dlstudio.graph.templates import build_template
from dlstudio.ui.autosave import Autosaver, RecoveryStore
from dlstudio.ui.document import Document
from dlstudio.ui.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]

# A session that writes a recovery copy and then dies without cleaning up.
CRASHING_SESSION = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from dlstudio.graph.project import Project
    from dlstudio.graph.templates import build_template
    from dlstudio.ui.autosave import RecoveryStore

    graph = build_template("xor")
    graph.set_param(graph.node_by_name("fc1").id, "units", 12)
    store = RecoveryStore(Path(sys.argv[1]))
    store.write(Project(graph=graph, name="xor"), Path(sys.argv[2]), "xor.dlstudio")
    os._exit(3)
""")


def _crash_leaving_a_copy(folder: Path, original: Path) -> None:
    result = subprocess.run([sys.executable, "-c", CRASHING_SESSION, str(folder), str(original)],
                            cwd=REPO, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr


def _window(qtbot, tmp_path: Path, **kwargs) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, recovery_dir=tmp_path / "recovery", **kwargs)
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    return window


def test_copy_written_while_modified_and_dropped_when_saved(qtbot, tmp_path) -> None:
    store = RecoveryStore(tmp_path / "recovery")
    saver = Autosaver(store, interval_ms=30)
    document = Document(Project(graph=build_template("mlp"), name="mlp"))
    saver.set_document(document)
    qtbot.wait(100)
    assert not store.copy_path.exists()  # nothing unsaved, nothing written

    fc1 = document.graph.node_by_name("fc1").id
    document.editor.set_param(fc1, "units", 32)
    with qtbot.waitSignal(saver.saved, timeout=2000):
        pass
    assert load_project(store.copy_path).graph.to_dict() == document.graph.to_dict()

    document.save(tmp_path / "mlp.dlstudio")
    assert not store.copy_path.exists()
    saver.stop()
    store.close()
    assert list((tmp_path / "recovery").iterdir()) == []


def test_live_sessions_are_not_orphans(tmp_path) -> None:
    first = RecoveryStore(tmp_path)
    first.write(Project(graph=build_template("xor")), None, "untitled")
    second = RecoveryStore(tmp_path)
    assert second.orphans() == []
    first.close()
    second.close()


def test_window_autosaves_and_a_clean_close_removes_the_copy(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path, autosave_interval_ms=30)
    window.files.new_from_template("cnn-small")
    window.document.editor.add_node("Dropout", (0.0, 300.0))
    qtbot.waitUntil(window.store.copy_path.exists, timeout=2000)
    copy = load_project(window.store.copy_path)
    assert copy.graph.to_dict() == window.document.graph.to_dict()
    assert window.close()
    assert not window.store.copy_path.exists()


def test_restore_after_a_crash(qtbot, tmp_path) -> None:
    original = tmp_path / "xor.dlstudio"
    _crash_leaving_a_copy(tmp_path / "recovery", original)
    window = _window(qtbot, tmp_path)
    offered = []
    window.files.ask_restore = lambda recovery: offered.append(recovery) or True
    assert window.offer_recovery()

    assert offered[0].original == original and offered[0].title == "xor.dlstudio"
    graph = window.document.graph
    assert graph.node_by_name("fc1").params["units"] == 12
    assert window.document.path == original
    assert window.document.is_modified() and window.isWindowModified()
    assert not offered[0].path.exists()  # now kept under this session's copy
    assert window.store.copy_path.exists()
    assert not window.offer_recovery()


def test_declining_the_restore_deletes_the_copy(qtbot, tmp_path) -> None:
    _crash_leaving_a_copy(tmp_path / "recovery", tmp_path / "xor.dlstudio")
    window = _window(qtbot, tmp_path)
    window.files.ask_restore = lambda recovery: False
    assert not window.offer_recovery()
    assert window.document.graph.nodes == {}
    assert list((tmp_path / "recovery").glob("*.dlstudio")) == []


def test_interval_comes_from_the_settings(qtbot, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert _window(qtbot, tmp_path).autosaver.interval_ms == 60_000
    settings.setValue("autosave/interval_s", 15)
    settings.sync()
    assert _window(qtbot, tmp_path).autosaver.interval_ms == 15_000


def test_the_recovery_folder_names_the_app_once_and_an_earlier_copy_is_still_offered(
        qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtCore import QCoreApplication

    from dlstudio.ui.autosave import default_recovery_dir
    from dlstudio.ui.main_window import APP_NAME, ORGANIZATION

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    names = QCoreApplication.applicationName(), QCoreApplication.organizationName()
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    try:
        assert default_recovery_dir() == tmp_path / "data" / "DL Studio" / "recovery"
        original = tmp_path / "xor.dlstudio"
        # A version before the fix crashed, leaving its copy in ".../DL Studio/DL Studio".
        _crash_leaving_a_copy(tmp_path / "data" / "DL Studio" / "DL Studio" / "recovery",
                              original)
        store = RecoveryStore.at_default()
        (orphan,) = store.orphans()
        assert orphan.original == original
        assert orphan.load().graph.node_by_name("fc1").params["units"] == 12
        orphan.discard()
        assert store.orphans() == []
        store.write(Project(graph=build_template("xor")), None, "xor")
        assert store.copy_path.parent == tmp_path / "data" / "DL Studio" / "recovery"
        store.close()
    finally:
        QCoreApplication.setApplicationName(names[0])
        QCoreApplication.setOrganizationName(names[1])
