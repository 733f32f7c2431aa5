"""The refresh plan as a pure function: files on disk, the index's and the database's fingerprints in,
what to read, touch and forget out. Nothing here touches the disk."""

from __future__ import annotations

from kb.records.files import FileOnDisk
from kb.snapshot import RACY_NS, Fingerprint, fingerprint, settled_mtime, unchanged
from kb.workspace.plan import Needs, Read, needs, plan_refresh

ACME = "casestudies/acme.md"
OLD = "casestudies/old-name.md"
NEW = "casestudies/new-name.md"
SECOND = 1_000_000_000
EARLIER = 1_700_000_000 * SECOND  # an mtime long settled


def on_disk(*files: FileOnDisk) -> dict[str, FileOnDisk]:
    return {file.shown: file for file in files}


def file(shown: str = ACME, size: int = 120, mtime_ns: int = EARLIER, record_type: str = "casestudy") -> FileOnDisk:
    return FileOnDisk(f"/kb/{shown}", shown, record_type, size, mtime_ns)


def known(size: int = 120, mtime_ns: int = EARLIER, sha256: str = "aaa", record_type: str = "casestudy"):
    return Fingerprint(record_type, size, mtime_ns, sha256)


def test_nothing_changed_plans_nothing():
    todo = plan_refresh(on_disk(file()), {ACME: known()}, {ACME: known()})

    assert todo.reads == [] and todo.touches == {} and todo.gone == [] and todo.stored_gone == []
    assert todo.kept == {ACME: known()}


def test_a_new_file_is_read_for_the_index_and_the_database():
    todo = plan_refresh(on_disk(file()), {}, {})

    assert todo.reads == [Read(file(), for_index=True, for_store=True)]
    assert todo.kept == {} and todo.gone == []


def test_a_new_file_is_read_for_the_index_only_when_the_database_is_not_needed():
    todo = plan_refresh(on_disk(file()), {}, None)

    assert todo.reads == [Read(file(), for_index=True, for_store=False)]
    assert todo.touches == {} and todo.stored_gone == []


def test_a_same_size_edit_with_another_mtime_is_read():
    edited = file(mtime_ns=EARLIER + SECOND)

    todo = plan_refresh(on_disk(edited), {ACME: known()}, {ACME: known()})

    assert todo.reads == [Read(edited, for_index=True, for_store=True)]
    assert todo.touches == {}


def test_a_file_of_another_type_at_the_same_path_is_read():
    moved = file(record_type="interview")

    todo = plan_refresh(on_disk(moved), {ACME: known()}, None)

    assert todo.reads == [Read(moved, for_index=True, for_store=False)]


def test_a_touched_file_whose_hash_is_unchanged_only_touches_the_database():
    touched = file(mtime_ns=EARLIER + SECOND)

    todo = plan_refresh(on_disk(touched), {ACME: known()}, {ACME: known()})

    # Only its content can say it is unchanged: the plan reads it, its hash then decides.
    assert todo.reads == [Read(touched, for_index=True, for_store=True)]
    assert needs(todo.reads[0], "aaa", known(), known()) == Needs(index=False, store=False, touch=True)
    assert needs(todo.reads[0], "bbb", known(), known()) == Needs(index=True, store=True, touch=False)


def test_a_read_file_is_written_only_to_the_side_whose_content_it_no_longer_is():
    edited = file(mtime_ns=EARLIER + SECOND)

    assert needs(Read(edited, True, True), "new", known(), known(sha256="new")) == Needs(True, False, True)
    assert needs(Read(edited, True, True), "new", None, None) == Needs(True, True, False)
    assert needs(Read(edited, False, True), "new", known(sha256="new"), known()) == Needs(False, True, False)
    assert needs(Read(edited, True, False), "aaa", known(), None) == Needs(False, False, False)
    assert needs(Read(edited, True, False), "aaa", known(record_type="interview"), None) == Needs(True, False, False)


def test_a_touched_file_the_index_already_saw_only_touches_the_database():
    # `kb search` after a touch: the index took the new stat, the database still has the old one.
    touched = file(mtime_ns=EARLIER + SECOND)
    in_index = known(mtime_ns=EARLIER + SECOND)

    todo = plan_refresh(on_disk(touched), {ACME: in_index}, {ACME: known()})

    assert todo.reads == []
    assert todo.touches == {ACME: in_index}


def test_a_deleted_file_is_gone_from_the_index_and_the_database():
    todo = plan_refresh(on_disk(), {ACME: known()}, {ACME: known()})

    assert todo.gone == [ACME] and todo.stored_gone == [ACME]
    assert todo.reads == [] and todo.kept == {}
    assert todo.renames == {"aaa": ACME}  # a new file with its content would be the same file renamed


def test_a_renamed_file_is_read_as_new_with_its_old_path_a_rename_candidate_by_hash():
    renamed = file(NEW)

    todo = plan_refresh(on_disk(renamed), {OLD: known(sha256="bbb")}, {OLD: known(sha256="bbb")})

    assert todo.reads == [Read(renamed, for_index=True, for_store=True)]
    assert todo.gone == [OLD] and todo.stored_gone == [OLD]
    assert todo.renames == {"bbb": OLD}


def test_a_database_lagging_the_index_reads_the_file_for_the_database_alone():
    # `kb search` after an edit: the index has the new content, the database the old.
    edited = file(size=130, mtime_ns=EARLIER + SECOND)
    in_index = known(size=130, mtime_ns=EARLIER + SECOND, sha256="new")

    todo = plan_refresh(on_disk(edited), {ACME: in_index}, {ACME: known(sha256="old")})

    assert todo.reads == [Read(edited, for_index=False, for_store=True)]
    assert todo.touches == {} and todo.kept == {ACME: in_index}


def test_a_file_the_database_never_saw_is_read_for_the_database_alone():
    todo = plan_refresh(on_disk(file()), {ACME: known()}, {})

    assert todo.reads == [Read(file(), for_index=False, for_store=True)]


def test_a_file_gone_while_the_database_lagged_is_forgotten_by_the_database_too():
    todo = plan_refresh(on_disk(), {}, {ACME: known()})

    assert todo.gone == [] and todo.stored_gone == [ACME]


def test_a_racy_fingerprint_makes_the_file_read_again_though_size_and_mtime_did_not_move():
    # Remembered with mtime 0 because it was read within the racy window: a same-size edit in the same
    # timestamp tick would otherwise go unseen.
    racy = known(mtime_ns=0)

    todo = plan_refresh(on_disk(file()), {ACME: racy}, {ACME: racy})

    assert todo.reads == [Read(file(), for_index=True, for_store=True)]
    assert not unchanged({ACME: racy}, on_disk(file()))


def test_an_mtime_read_within_the_racy_window_is_not_remembered():
    now = EARLIER + RACY_NS

    assert settled_mtime(EARLIER, now) == 0
    assert settled_mtime(EARLIER, now + 1) == EARLIER
    assert fingerprint(file(), "aaa", now) == known(mtime_ns=0)
    assert fingerprint(file(), "aaa", now + SECOND) == known()


def test_unchanged_needs_the_same_files_with_the_same_stats():
    assert unchanged({ACME: known()}, on_disk(file()))
    assert not unchanged({ACME: known()}, on_disk(file(size=121)))
    assert not unchanged({ACME: known()}, on_disk(file(), file(NEW)))
    assert not unchanged({ACME: known(), NEW: known()}, on_disk(file()))


def test_the_snapshot_stamps_the_files_the_store_and_the_index_name():
    # The freshness check names them itself so as not to load SQLAlchemy or Whoosh before every command.
    from kb import snapshot
    from kb.search.index import INDEX_DIR
    from kb.store.engine import DATABASE_FILE

    assert (snapshot.DATABASE_FILE, snapshot.INDEX_DIR) == (DATABASE_FILE, INDEX_DIR)
