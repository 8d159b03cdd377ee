"""Progress: saved per lesson, survives restarts, tolerates a damaged file."""

from __future__ import annotations

from smtpshell.learn.progress import LessonProgress, ProgressStore


def test_record_get_and_complete(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    assert store.get("01") == LessonProgress()
    store.record("01", 2, 4)
    assert (store.get("01").step, store.get("01").completed) == (2, False)
    store.record("01", 4, 4)
    assert store.get("01").completed
    store.reset("01")
    assert store.get("01").step == 0 and store.get("01").completed  # earned stays earned
    assert set(ProgressStore(tmp_path / "progress.json").all()) == {"01"}


def test_a_damaged_file_is_an_empty_one(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    store = ProgressStore(path)
    assert store.get("01") == LessonProgress()
    store.record("01", 1, 3)
    assert store.get("01").step == 1
    path.write_text('{"lessons": {"01": {"step": "x"}}}')
    assert store.get("01") == LessonProgress()


def test_default_path_is_in_the_data_dir(private_data_dir):
    assert ProgressStore().path == private_data_dir / "progress.json"
