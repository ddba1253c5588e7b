"""The prefilter's whole-word test is the regex `\\bword\\b`, found another way (str.find)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from prunelint.engine.prefilter import mentions_word, mentions_words
from prunelint.io.source import Source

# Word characters, others, a non-ASCII letter and digit, and pieces of the words themselves.
PIECES = st.sampled_from(["a", "b", "_", " ", ".", "é", "٣", "1", "\n", "ab", "tp", "tp.", "x", "-"])
WORDS = st.sampled_from(["ab", "tp", "tp.", ".tp", "a_b", "é", "1", "b1", "-", "torch_pruning"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join), WORDS)
def test_a_word_is_found_where_the_regex_finds_it(text: str, word: str) -> None:
    assert mentions_word(text, word) == (re.search(rf"\b{re.escape(word)}\b", text) is not None)


def test_a_word_found_only_after_many_longer_names() -> None:
    # Past the occurrences looked at one by one: the regex takes over from there.
    text = " ".join(f"my_pruner_{i}" for i in range(50)) + " pruner"
    assert mentions_word(text, "pruner")
    assert not mentions_word(text[: -len(" pruner")], "pruner")


def test_plain_words_and_conjunctions() -> None:
    mentions = mentions_words(["torch_pruning", "regularize&pruner"])
    assert mentions(Source("a.py", "/a.py", "import torch_pruning as tp\n"))
    assert not mentions(Source("a.py", "/a.py", "import torch_pruning_extra\n"))
    assert mentions(Source("a.py", "/a.py", "pruner.regularize(model)\n"))
    assert not mentions(Source("a.py", "/a.py", "model.regularize()\n"))


# -- a rule's own words from the API data (`Rule.file_words`) ------------------------------------
from prunelint.engine.run import LintOptions, finalize, lint_sources  # noqa: E402
from prunelint.engine.step import _mentioned  # noqa: E402
from prunelint.plugins.registry import load_rules  # noqa: E402
from prunelint.settings.apidata import load_api_data  # noqa: E402
from prunelint.settings.config import Settings  # noqa: E402

RULES = load_rules()
API = load_api_data()
WORDED = [rule for rule in RULES.rules.values() if rule.file_words(API) is not None]


def _findings(text: str, codes: frozenset[str], prefilter: bool) -> list[tuple[str, int, int, str]]:
    options = LintOptions(Settings(), RULES, codes, API, prefilter=prefilter)
    found = finalize(lint_sources([Source("a.py", "/v/a.py", text)], options), options, {"a.py": text})
    return [(d.code, d.location.row, d.location.column, d.message) for d in found]


def _fullwidth_first(text: str, word: str) -> str:
    """`word` written with a fullwidth first letter: the same identifier once Python normalizes
    it (NFKC), a different word to a text search."""
    return text.replace(word, chr(ord(word[0]) + 0xFEE0) + word[1:]) if word[0].isascii() and word[0].isalpha() else text


def test_the_rules_with_words_of_their_own_are_the_api_rules() -> None:
    assert {rule.CODE for rule in WORDED} == {"PRL901", "PRL902"}


def test_a_file_without_a_rules_words_is_not_walked_for_it() -> None:
    rule = RULES.rules["PRL901"]
    without = Source("a.py", "/a.py", "import torch_pruning as tp\np = tp.pruner.BasePruner(m, x)\n")
    spelled = Source("a.py", "/a.py", "import torch_pruning as tp\np = tp.pruner.MetaPruner(m, x)\n")
    assert _mentioned((rule,), without, API) == ()
    assert _mentioned((rule,), spelled, API) == (rule,)
    # A non-ASCII text may spell a word in a form that Python normalizes: the rule runs.
    assert _mentioned((rule,), Source("a.py", "/a.py", without.text + "# é\n"), API) == (rule,)


def test_a_rules_words_keep_every_finding_of_its_examples_and_of_their_nfkc_spellings() -> None:
    """With the prefilter on, each example of such a rule, and the example with each of the
    rule's words spelled with a fullwidth first letter (the same name to Python), is flagged
    exactly as with the prefilter off."""
    checked = 0
    for rule in WORDED:
        codes = frozenset({rule.CODE})
        for example in rule.INVALID:
            variants = [example.source] + [_fullwidth_first(example.source, w) for w in rule.file_words(API)]
            for text in dict.fromkeys(variants):
                expected = _findings(text, codes, prefilter=False)
                assert _findings(text, codes, prefilter=True) == expected, text
                checked += bool(expected)
    assert checked >= 10


# -- rounds: a file left pending is tested for the new words only ---------------------------------
from prunelint.engine.run import FileStep, STAR_IMPORT_WORD  # noqa: E402


class RecordingStep(FileStep):
    """The per-file step, with the words each round tests and the files each round parses."""

    def __init__(self, options: LintOptions) -> None:
        super().__init__(options)
        self.tested: list[set[str]] = []
        self.parsed: list[list[str]] = []

    def mentions(self, words):
        words = set(words)
        if words != {STAR_IMPORT_WORD}:
            self.tested.append(words)
        return super().mentions(words)

    def analyse(self, sources):
        self.parsed.append(sorted(s.filename for s in sources))
        return super().analyse(sources)


def test_a_file_left_pending_is_tested_for_the_new_words_only() -> None:
    sources = [
        Source("a.py", "/v/a.py", "import torch_pruning as tp\n\ndef make_pruner(m, x):\n    return tp.pruner.BasePruner(m, x)\n"),
        Source("b.py", "/v/b.py", "import torch\nfrom a import make_pruner\n\nwith torch.no_grad():\n    make_pruner(net, x)\n"),
        Source("c.py", "/v/c.py", "x = 1\n"),
    ]
    texts = {s.filename: s.text for s in sources}
    codes = frozenset({"PRL001"})
    options = LintOptions(Settings(), RULES, codes, API)
    step = RecordingStep(options)
    found = finalize(lint_sources(sources, options, step), options, texts)
    assert step.parsed == [["a.py"], ["b.py"]]  # b.py only through the builder's name
    # The second round: the builder's name, then (for the files that mention it) the name as
    # imported from its module.
    assert "torch_pruning" in step.tested[0] and step.tested[1:3] == [{"make_pruner"}, {"make_pruner>a"}]
    assert [(d.filename, d.code) for d in found] == [("b.py", "PRL001")]
    unfiltered = LintOptions(Settings(), RULES, codes, API, prefilter=False)
    assert finalize(lint_sources(sources, unfiltered), unfiltered, texts) == found
