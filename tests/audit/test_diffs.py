"""Word-level diffs: only the words that changed are marked, long unchanged text is shortened."""

from evidence.audit.diffs import CONTEXT_TOKENS, Segment, word_diff


def marked(segments: list[Segment]) -> str:
    marks = {"removed": "[-{}-]", "added": "{{+{}+}}", "same": "{}", "elided": "{}"}
    return "".join(marks[s.kind].format(s.text) for s in segments)


def test_one_word_edit_marks_one_word():
    assert marked(word_diff("beaten by OMON officers", "beaten by SOBR officers")) == (
        "beaten by [-OMON-]{+SOBR+} officers"
    )


def test_insertion_deletion_and_nothing():
    assert marked(word_diff(None, "new text")) == "{+new text+}"
    assert marked(word_diff("old text", None)) == "[-old text-]"
    assert word_diff("same", "same") == [Segment("same", "same")]


def test_values_that_are_not_text_are_compared_as_json():
    assert marked(word_diff(["a", "b"], ["a", "c"])) == '["a", "[-b-]{+c+}"]'


def test_long_unchanged_stretches_keep_context_only():
    words = " ".join(f"w{i}" for i in range(200))
    segments = word_diff(words + " old end", words + " new end")
    text = marked(segments)
    assert text.startswith("…") and "[-old-]{+new+} end" in text
    kept = "".join(s.text for s in segments if s.kind == "same")
    assert len(kept.split()) <= CONTEXT_TOKENS + 1
    middle = word_diff("a " + words + " z", "b " + words + " y")
    assert [s.kind for s in middle].count("elided") == 1
