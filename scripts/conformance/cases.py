#!/usr/bin/env python3
"""Deterministic generator of the shared metric conformance cases.

Writes two JSON-lines files (UTF-8, one object per line, sorted as generated):

* ``tests/data/conformance/pairs.jsonl`` -- ``{"id", "prediction", "reference"}``; a few pairs
  also carry ``"more_references": [...]`` (extra references for multi-reference metrics such as
  BLEU/chrF; single-reference consumers ignore the field).
* ``tests/data/conformance/corpora.jsonl`` -- ``{"id", "pair_ids": [...]}`` groups of pair ids
  used for corpus-level (pooled) statistics.

Everything is derived from a fixed seed, so re-running the script reproduces the files byte for
byte. Run from the repository root:  ``python3 scripts/conformance/cases.py``
"""

import json
import random
from pathlib import Path

SEED = 20261126
OUT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "conformance"

pairs = []  # list of dicts
_seen_ids = set()


def add(pid, prediction, reference, more_references=None):
    assert pid not in _seen_ids, pid
    _seen_ids.add(pid)
    row = {"id": pid, "prediction": prediction, "reference": reference}
    if more_references:
        row["more_references"] = list(more_references)
    pairs.append(row)


# ---------------------------------------------------------------------------------------------
# 1. Hand-written edge cases.
# ---------------------------------------------------------------------------------------------
EDGE = [
    # empty and whitespace-only sides
    ("empty_both", "", ""),
    ("empty_prediction", "", "the cat sat on the mat"),
    ("empty_reference", "the cat sat on the mat", ""),
    ("space_prediction", " ", "the cat sat on the mat"),
    ("space_reference", "the cat sat on the mat", "   "),
    ("space_both", "  ", " \t "),
    ("newline_only_prediction", "\n\n", "hello world"),
    ("newline_only_reference", "hello world", "\r\n"),
    ("tab_only_both", "\t", "\t\t"),
    ("empty_vs_space", "", " "),
    ("space_vs_empty", " ", ""),
    ("empty_pred_single_word_ref", "", "hello"),
    ("single_word_pred_empty_ref", "hello", ""),
    ("punct_only_pred", "...", "a b c"),
    ("punct_only_ref", "a b c", "?!"),
    ("punct_only_both", "!!", "?"),
    # exact match and total mismatch
    ("exact_short", "the quick brown fox", "the quick brown fox"),
    ("exact_single", "hello", "hello"),
    ("exact_sentence_punct", "The cat sat on the mat.", "The cat sat on the mat."),
    ("exact_single_char", "a", "a"),
    ("mismatch_short", "alpha beta gamma", "delta epsilon zeta"),
    ("mismatch_chars", "abcdefg", "hijklmnop"),
    ("mismatch_lengths", "one", "two three four five six seven"),
    ("case_only", "THE CAT SAT ON THE MAT", "the cat sat on the mat"),
    ("case_mixed", "Hello World", "hello world"),
    # punctuation
    ("punct_attached", "Hello, world! How are you?", "Hello world how are you"),
    ("punct_spaced", "Hello , world ! How are you ?", "Hello, world! How are you?"),
    ("punct_quotes", "He said \"yes\" and 'no'.", "He said “yes” and ‘no’."),
    ("punct_dashes", "well-known state-of-the-art end--to--end", "well known state of the art end to end"),
    ("punct_ellipsis", "Wait... what?!", "Wait … what ?!"),
    ("punct_brackets", "(a) [b] {c} <d>", "a b c d"),
    ("punct_slashes", "and/or either\\or a|b", "and or either or a b"),
    ("punct_symbols", "50% off @home #1 $5 & more ~ ^ * _ + = `", "50 % off @ home # 1 $ 5 & more"),
    ("punct_apostrophe_end", "the students' books", "the students books"),
    # numbers
    ("numbers_decimal", "It costs 3.14 dollars, or 1,000.50 euros.", "It costs 3.14 dollars or 1,000.50 euros"),
    ("numbers_words", "twenty five people came in 2024", "25 people came in twenty twenty four"),
    ("numbers_dates", "On 2024-05-06 at 10:30, 12/31/1999.", "On 2024 - 05 - 06 at 10 : 30 , 12 / 31 / 1999 ."),
    ("numbers_signed", "-5 +3 1e10 0.5% 1/2", "minus 5 plus 3 1e10 0.5 % 1 / 2"),
    ("numbers_commas", "1,234,567 and 7.000", "1234567 and 7,000"),
    # URLs and emails
    ("url_basic", "Visit https://example.com/path?q=1&r=2 now.", "Visit https://example.com/path?q=1&r=2 now."),
    ("url_vs_spoken", "go to www.example.org slash docs", "go to www.example.org/docs"),
    ("email", "mail me at maya.chen@example.com, thanks", "mail me at maya dot chen at example dot com thanks"),
    # contractions
    ("contractions", "I can't believe it's not butter, y'all won't", "I cannot believe it is not butter, you all will not"),
    ("contractions_same", "don't won't shouldn't I'm we're they've", "don't won't shouldn't I'm we're they've"),
    ("contractions_split", "do n't wo n't", "don't won't"),
    # hyphenation across newlines
    ("hyphen_newline", "a state-of-the-\nart model for speech recog-\nnition", "a state-of-the-art model for speech recognition"),
    ("hyphen_newline_crlf", "inter-\r\nnational", "international"),
    # HTML entities
    ("html_entities", "Tom &amp; Jerry &lt;3 &quot;cheese&quot; &#39;n&#39; crackers", "Tom & Jerry <3 \"cheese\" 'n' crackers"),
    ("html_entities_both", "a &amp; b &nbsp; c", "a &amp; b &nbsp; c"),
    ("html_tags", "<p>Hello <b>world</b></p>", "Hello world"),
    # accented Latin
    ("accented_precomposed", "café naïve résumé déjà vu", "cafe naive resume deja vu"),
    ("accented_combining", "cafe\u0301 nai\u0308ve", "café naïve"),
    ("accented_same", "Crème brûlée à la française", "Crème brûlée à la française"),
    ("accented_upper", "ÉCOLE ÀÉÎÕÜ", "école àéîõü"),
    # German sharp s
    ("sharp_s", "Die Straße ist groß", "DIE STRASSE IST GROSS"),
    ("sharp_s_capital", "STRAẞE straße", "strasse Straße"),
    # Turkish dotted/dotless i
    ("turkish_i", "İstanbul'da ılık bir gün", "istanbul'da ılık bir gün"),
    ("turkish_i_upper", "ISPARTA İZMİR ığdır", "isparta izmir IĞDIR"),
    # Kelvin sign, Angstrom, ligatures
    ("kelvin_sign", "300 \u212a is warm", "300 K is warm"),
    ("kelvin_lower", "\u212aelvin", "kelvin"),
    ("angstrom_ligature", "1 \u212b \ufb01ne \ufb02ow", "1 Å fine flow"),
    ("fullwidth", "ＡＢＣ １２３ ｈｅｌｌｏ", "ABC 123 hello"),
    # CJK
    ("cjk_chinese", "我爱北京天安门", "我爱北京天安门。"),
    ("cjk_chinese_diff", "今天天气很好，我们去公园吧", "今天天气不错，我们去公园玩吧"),
    ("cjk_japanese", "東京は日本の首都です。ひらがなとカタカナ", "東京は日本の首都である。ひらがな と カタカナ"),
    ("cjk_korean", "안녕하세요 세계 여러분", "안녕하세요, 세계의 여러분"),
    ("cjk_mixed_latin", "我用Python写代码 and 测试2024", "我用 Python 写代码 and 测试 2024"),
    ("cjk_fullwidth_punct", "你好！世界？（测试）", "你好 ! 世界 ? ( 测试 )"),
    # emoji
    ("emoji_simple", "great job 👍 🎉", "great job 👍"),
    ("emoji_zwj", "family 👨‍👩‍👧‍👦 and 🏳️‍🌈", "family 👨‍👩‍👧 and 🏳️‍🌈"),
    ("emoji_skin_flags", "hi 👋🏽 from 🇩🇪🇫🇷", "hi 👋 from 🇩🇪 🇫🇷"),
    ("emoji_attached", "wow😀amazing", "wow 😀 amazing"),
    # RTL
    ("rtl_arabic", "مرحبا بالعالم كيف حالك", "مرحبا بالعالم، كيف حالك؟"),
    ("rtl_hebrew", "שלום עולם מה שלומך", "שלום לעולם מה שלומך"),
    ("rtl_mixed", "the word שלום means peace", "the word שָׁלוֹם means peace"),
    ("rtl_marks", "\u200fمرحبا\u200e world", "مرحبا world"),
    # NBSP and other spaces
    ("nbsp", "10\u00a0km away\u00a0now", "10 km away now"),
    ("nbsp_both", "a\u00a0b c", "a\u00a0b c"),
    ("thin_spaces", "a\u2009b\u202fc\u3000d", "a b c d"),
    ("em_space_only", "\u2003", "x"),
    # tabs and CR/LF
    ("tabs", "one\ttwo\t\tthree", "one two three"),
    ("crlf", "line one\r\nline two\r\n", "line one\nline two\n"),
    ("cr_only", "line one\rline two", "line one line two"),
    ("mixed_whitespace", "  lead\t \n trail  ", "lead trail"),
    ("vertical_tab_formfeed", "a\x0bb\x0cc", "a b c"),
    ("unicode_line_sep", "first\u2028second\u2029third\x85fourth", "first second third fourth"),
    # zero-width characters
    ("zero_width_space", "hel\u200blo wor\u200bld", "hello world"),
    ("zero_width_joiners", "a\u200cb\u200dc \ufeffstart", "abc start"),
    ("zero_width_only", "\u200b", "\u200b\u200b"),
    ("soft_hyphen", "co\u00adoperate", "cooperate"),
    # repeated words
    ("repeated_pred", "the the the the the the the", "the cat is on the mat"),
    ("repeated_ref", "the cat", "the the the the"),
    ("repeated_both", "a a a a b b b", "a a b b b b"),
    ("repeated_stutter", "I I I think think we should should go", "I think we should go"),
    ("repeated_ngrams", "to be or not to be to be or not to be", "to be or not to be"),
    # sacrebleu README / test-suite style cases
    ("sacrebleu_readme_1", "The dog bit the man.", "The dog bit the man.", ["The dog had bit the man."]),
    ("sacrebleu_readme_2", "It wasn't surprising.", "It was not unexpected.", ["No one was surprised."]),
    ("sacrebleu_readme_3", "The man had just bitten him.", "The man bit him first.", ["The man had bitten the dog."]),
    ("sacrebleu_chrf_1", "abcdefg", "hijklmnop"),
    ("sacrebleu_chrf_2", "a", "a"),
    ("sacrebleu_chrf_3", "a b c", "a b c"),
    ("sacrebleu_chrf_4", "a b c", "abc"),
    ("sacrebleu_chrf_5", "a b c", "a"),
    ("sacrebleu_chrf_6", "ab", "a b c"),
    ("sacrebleu_chrf_7", "The relationship between Obama and Netanyahu has been strained for years.",
     "It is no secret that the relationship between Obama and Netanyahu has not been very good."),
    ("sacrebleu_chrf_8", "Niemand hat die Absicht, eine Mauer zu errichten", "Niemand hat die Absicht, eine Mauer zu errichten"),
    ("sacrebleu_bleu_smooth_1", "Iraq is ready to cooperate with the international community",
     "Iraq is ready to cooperate fully with the international community"),
    ("sacrebleu_bleu_smooth_2", "the cat", "the cat is on the mat"),
    ("sacrebleu_bleu_short", "A", "A B C D E F"),
    ("sacrebleu_bleu_long_hyp", "A B C D E F G H I J", "A B C"),
    ("sacrebleu_bleu_one_gram_only", "x y z w", "z y x w"),
    ("sacrebleu_multiref_a", "It is a guide to action which ensures that the military always obeys the commands of the party.",
     "It is a guide to action that ensures that the military will forever heed Party commands.",
     ["It is the guiding principle which guarantees the military forces always being under the command of the Party.",
      "It is the practical guide for the army always to heed the directions of the party."]),
    ("sacrebleu_multiref_b", "It is to insure the troops forever hearing the activity guidebook that party direct.",
     "It is a guide to action that ensures that the military will forever heed Party commands.",
     ["It is the guiding principle which guarantees the military forces always being under the command of the Party.",
      "It is the practical guide for the army always to heed the directions of the party."]),
    ("multiref_one_empty", "hello there world", "", ["hello there world"]),
    ("multiref_shorter_closest", "a b c d e f", "a b c", ["a b c d e f g h i"]),
    ("multiref_equal_distance", "a b c d e", "a b c d", ["a b c d e f"]),
    # 13a tokenizer specifics
    ("tok13a_skipped", "<skipped> hello", "hello"),
    ("tok13a_entities", "a &quot;b&quot; &amp; c &lt;d&gt; &apos;e", "a \"b\" & c <d> 'e"),
    ("tok13a_dash_newline", "end-\nof-line", "end-of-line"),
    ("tok13a_period_comma_digits", "1,000 3.5 a.b a,b 5, 5. .5 ,5", "1,000 3.5 a . b a , b 5 , 5 . . 5 , 5"),
    ("tok13a_symbols", "a{b}c~d|e^f`g\\h", "a { b } c ~ d | e ^ f ` g \\ h"),
    ("tok13a_unicode_punct", "«quoted» — dash · dot", "« quoted » — dash · dot"),
    # jiwer test-suite style cases
    ("jiwer_basic_1", "short", "This is a much longer reference sentence"),
    ("jiwer_basic_2", "This is a test", "This is a test"),
    ("jiwer_basic_3", "This is not a test", "This is a test"),
    ("jiwer_basic_4", "is a test", "This is a test"),
    ("jiwer_basic_5", "This is a short test", "This is a test"),
    ("jiwer_basic_6", "This is a tes", "This is a test"),
    ("jiwer_basic_7", "kitten sitting", "sitting kitten"),
    ("jiwer_mer_wil", "i like python", "i am a python developer"),
    ("jiwer_cer_1", "ab", "abcd"),
    ("jiwer_cer_2", "a bc d", "abcd"),
    ("jiwer_cer_3", "kitten", "sitting"),
    ("jiwer_cer_4", "This is a test", "This is a tset"),
    ("jiwer_space_runs", "hello    world", "hello world"),
    ("jiwer_leading_trailing", "  hello world  ", "hello world"),
    # alignment ties (several optimal alignments with different hit counts)
    ("tie_swap_2", "b a", "a b"),
    ("tie_swap_3", "c b a", "a b c"),
    ("tie_shift_left", "b c d", "a b c"),
    ("tie_shift_right", "a b c", "b c d"),
    ("tie_aab_abb", "a b b", "a a b"),
    ("tie_abab_baba", "b a b a", "a b a b"),
    ("tie_repeat_insert", "x a x", "a x a"),
    ("tie_ins_del", "a b c x", "x a b c"),
    ("tie_chars_1", "abc", "bca"),
    ("tie_chars_2", "abcd", "dcba"),
    ("tie_chars_3", "aaab", "baaa"),
    ("tie_chars_4", "ab ba", "ba ab"),
    ("tie_lcs_1", "w1 w2 w6 w7 w8", "w1 w2 w3 w4 w5"),
    ("tie_lcs_2", "w1 w3 w8 w9 w5", "w1 w2 w3 w4 w5"),
    ("tie_lcs_3", "2 5 3 4", "1 2 3 4 5"),
    # rouge-score test-suite style cases (prediction, target)
    ("rouge_testing_one", "testing", "testing one two"),
    ("rouge_testing_empty", "", "testing one two"),
    ("rouge_testing_two", "testing one", "testing one two"),
    ("rouge_testing_three", "testing two", "testing one two"),
    ("rouge_first_text", "text first", "first text"),
    ("rouge_lsum_split", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", "w1 w2 w3 w4 w5"),
    ("rouge_lsum_sentences", "Second sentence.\nFirst Sentence.", "First sentence.\nSecond Sentence."),
    ("rouge_lsum_slash", "/", "w1 w2 w3 w4 w5"),
    ("rouge_lsum_one_word_empty_ref", "w1", ""),
    ("rouge_this_is_a_test", "this is a test", "this is a test"),
    ("rouge_stemming", "The runners were running quickly and happily", "A runner runs quick and happy"),
    ("rouge_non_ascii_tokens", "Ünïcödé wörds ärë drőpped", "unicode words are dropped"),
    # multi-line summaries
    ("multiline_summary_1",
     "Maya Chen argues that remote work is here to stay.\nTom Okafor disagrees, citing collaboration costs.\nThey agree on hybrid schedules.",
     "Maya Chen says remote work will stay.\nTom Okafor worries about collaboration.\nBoth support a hybrid schedule."),
    ("multiline_summary_2",
     "- The team shipped v2.\n- Latency dropped by 40%.\n- Next: multilingual support.",
     "The team released version 2, cutting latency 40%.\nMultilingual support comes next."),
    ("multiline_blank_lines", "First point.\n\n\nSecond point.\n", "First point.\nSecond point."),
]

for row in EDGE:
    add("edge_" + row[0], row[1], row[2], row[3] if len(row) > 3 else None)

# ---------------------------------------------------------------------------------------------
# 2. Generated cases from a small realistic vocabulary.
# ---------------------------------------------------------------------------------------------
rng = random.Random(SEED)

VOCAB = (
    "the a an and or but so because we you they i he she it this that these those is are was "
    "were be been have has had do does did will would can could should might must not no yes "
    "really just like actually basically um uh well okay right so know think mean guess "
    "remote work team meeting office home schedule hybrid manager employee company product "
    "customer feedback release feature model data training evaluation metric score baseline "
    "latency cost budget quarter revenue growth market podcast episode guest host interview "
    "question answer story research study result paper experiment error rate word speech "
    "transcript summary sentence paragraph language english german spanish french translation "
    "morning afternoon evening week month year today tomorrow yesterday time people person "
    "going get make take see look want need use find give tell work call try ask seem feel "
    "leave put keep let begin show hear play run move live believe bring happen write provide "
    "good great new first last long little own other old big high different small large next "
    "early young important few public bad same able very also often still never always there "
    "here now then again maybe probably definitely honestly quickly slowly together"
).split()

# Acoustically confusable substitutions typical of ASR output.
CONFUSIONS = {
    "their": ["there", "they're"], "there": ["their", "they're"], "to": ["two", "too"],
    "two": ["to", "too"], "for": ["four", "fore"], "know": ["no", "now"], "no": ["know"],
    "right": ["write", "rite"], "write": ["right"], "week": ["weak"], "hear": ["here"],
    "here": ["hear"], "would": ["wood"], "new": ["knew"], "its": ["it's"], "we": ["wee"],
    "work": ["walk"], "team": ["teem"], "data": ["dated"], "model": ["modal", "muddle"],
    "cost": ["coast"], "score": ["store"], "metric": ["matrix"], "guest": ["guessed"],
    "latency": ["lately"], "baseline": ["base line"], "podcast": ["pod cast"],
}
FILLERS = ["um", "uh", "like", "you know", "i mean", "so", "yeah"]


def sentence(n_words):
    words = [rng.choice(VOCAB) for _ in range(n_words)]
    return words


def corrupt(words, rate):
    """Applies ASR-style substitutions, deletions and insertions at roughly `rate`."""
    out = []
    for w in words:
        r = rng.random()
        if r < rate * 0.45:  # substitution
            if w in CONFUSIONS and rng.random() < 0.6:
                out.append(rng.choice(CONFUSIONS[w]))
            else:
                out.append(rng.choice(VOCAB))
        elif r < rate * 0.75:  # deletion
            continue
        elif r < rate:  # insertion (filler or random word) before the word
            out.append(rng.choice(FILLERS) if rng.random() < 0.5 else rng.choice(VOCAB))
            out.append(w)
        else:
            out.append(w)
    return out


def style(words, capitalize=True, punct=True):
    """Joins words into text with optional sentence casing and punctuation."""
    text = []
    start = True
    for i, w in enumerate(words):
        t = w
        if capitalize and start:
            t = t[:1].upper() + t[1:]
        start = False
        text.append(t)
        if punct and i < len(words) - 1 and rng.random() < 0.08:
            mark = rng.choice([".", ",", ",", "?", "!", ";", ":"])
            text[-1] += mark
            start = mark in ".?!"
    s = " ".join(text)
    if punct and s:
        s += rng.choice([".", ".", "?", "!"])
    return s


# 2a. ASR transcript pairs of various lengths and error rates.
for i in range(120):
    n = rng.choice([3, 5, 8, 12, 20, 35, 60, 100])
    ref_words = sentence(n)
    hyp_words = corrupt(ref_words, rng.choice([0.0, 0.05, 0.1, 0.2, 0.35, 0.6]))
    # ASR output is usually lower-case and unpunctuated; the reference is cleaned text.
    ref = style(ref_words, capitalize=True, punct=True)
    hyp = " ".join(hyp_words) if rng.random() < 0.7 else style(hyp_words)
    add(f"asr_{i:03d}", hyp, ref)

# 2b. 300-word transcript pairs (also used by the speed benchmarks).
for i in range(20):
    ref_words = sentence(300)
    hyp_words = corrupt(ref_words, rng.choice([0.05, 0.1, 0.2, 0.3]))
    add(f"asr300_{i:02d}", " ".join(hyp_words), style(ref_words))

# 2c. Shuffled-word pairs (same bag of words, different order).
for i in range(25):
    ref_words = sentence(rng.choice([4, 7, 15, 40]))
    hyp_words = ref_words[:]
    if i % 2 == 0:
        rng.shuffle(hyp_words)
    else:  # local shuffles only
        for _ in range(max(1, len(hyp_words) // 4)):
            j = rng.randrange(len(hyp_words) - 1)
            hyp_words[j], hyp_words[j + 1] = hyp_words[j + 1], hyp_words[j]
    add(f"shuffle_{i:02d}", " ".join(hyp_words), " ".join(ref_words))

# 2d. Small-alphabet strings: many optimal alignments, tie-breaking in backtracks.
for i in range(60):
    alphabet = rng.choice(["ab", "abc", "aab", "xyz"])
    n_ref = rng.randint(1, 12)
    n_hyp = rng.randint(1, 12)
    ref = [rng.choice(alphabet) for _ in range(n_ref)]
    hyp = [rng.choice(alphabet) for _ in range(n_hyp)]
    sep_ref = " " if i % 3 != 2 else ""
    sep_hyp = " " if i % 3 != 2 else ""
    add(f"tie_{i:02d}", sep_hyp.join(hyp), sep_ref.join(ref))

# 2e. Repeated-word pairs.
for i in range(10):
    w = rng.choice(VOCAB)
    add(f"repeat_{i:02d}", " ".join([w] * rng.randint(1, 15)), " ".join([w] * rng.randint(1, 15)))

# 2f. Multilingual / unicode mixtures built from pieces.
PIECES = [
    "café", "naïve", "Straße", "İstanbul", "ılık", "\u212aelvin", "東京", "北京", "ひらがな",
    "안녕", "مرحبا", "שלום", "👍", "👨‍👩‍👧", "🇩🇪", "résumé", "ÉCOLE", "Ωmega", "ﬁne",
    "10\u00a0km", "zero\u200bwidth", "e\u0301", "½", "²", "Ⅻ", "ǅ", "ﬀ", "ŉ",
]
for i in range(30):
    ref = [rng.choice(PIECES + VOCAB[:40]) for _ in range(rng.randint(1, 10))]
    hyp = corrupt(ref, 0.3)
    add(f"unicode_{i:02d}", rng.choice([" ", "  ", "\t", "\u00a0"]).join(hyp), " ".join(ref))

# 2g. Multi-line summaries with sentence splits.
for i in range(15):
    ref_sents = [style(sentence(rng.randint(4, 14))) for _ in range(rng.randint(1, 5))]
    hyp_sents = [style(corrupt(s.lower().rstrip(".?!").split(), 0.3)) for s in ref_sents]
    if rng.random() < 0.3:
        rng.shuffle(hyp_sents)
    add(f"summary_{i:02d}", "\n".join(hyp_sents), "\n".join(ref_sents))

# 2h. Long texts (~2,000 words).
for i in range(4):
    ref_words = sentence(2000)
    hyp_words = corrupt(ref_words, [0.05, 0.15, 0.3, 0.5][i])
    add(f"long2000_{i}", style(hyp_words), style(ref_words))

# 2i. Bulk sentence pairs for the large corpus (MT-style: paraphrase-like edits).
for i in range(2000):
    ref_words = sentence(rng.randint(3, 30))
    hyp_words = corrupt(ref_words, rng.choice([0.1, 0.2, 0.3, 0.5]))
    add(f"bulk_{i:04d}", style(hyp_words), style(ref_words))

# ---------------------------------------------------------------------------------------------
# 3. Corpora (groups of pair ids).
# ---------------------------------------------------------------------------------------------
ids = [p["id"] for p in pairs]


def with_prefix(prefix):
    return [i for i in ids if i.startswith(prefix)]


corpora = [
    ("edge_all", with_prefix("edge_")),
    ("asr_all", with_prefix("asr_")),
    ("asr300_all", with_prefix("asr300_")),
    ("shuffle_all", with_prefix("shuffle_")),
    ("tie_all", with_prefix("tie_")),
    ("unicode_all", with_prefix("unicode_")),
    ("summary_all", with_prefix("summary_")),
    ("long_all", with_prefix("long2000_")),
    ("bulk_2000", with_prefix("bulk_")),
    ("single_exact", ["edge_exact_short"]),
    ("single_empty_ref", ["edge_empty_reference"]),
    ("all_empty_refs", ["edge_empty_both", "edge_empty_reference", "edge_space_reference",
                        "edge_space_both", "edge_single_word_pred_empty_ref"]),
    ("empty_refs_all_silent", ["edge_empty_both", "edge_space_both", "edge_tab_only_both"]),
    ("mixed_with_empty_items", ["edge_empty_both", "asr_000", "edge_empty_prediction", "asr_001",
                                "edge_empty_reference", "edge_space_both", "asr_002"]),
    ("empty_predictions", ["edge_empty_prediction", "edge_space_prediction",
                           "edge_newline_only_prediction", "edge_empty_pred_single_word_ref"]),
    ("multiref", [i for i in ids if any(p["id"] == i and "more_references" in p for p in pairs)]),
    ("sacrebleu_readme", with_prefix("edge_sacrebleu_readme_")),
    ("jiwer_cases", with_prefix("edge_jiwer_")),
    ("rouge_cases", with_prefix("edge_rouge_")),
]
mixed = [i for i in ids if not i.startswith("bulk_")]
rng.shuffle(mixed)
corpora.append(("random_mix_50", sorted(mixed[:50])))
corpora.append(("random_mix_200", mixed[50:250]))

OUT_DIR.mkdir(parents=True, exist_ok=True)
with open(OUT_DIR / "pairs.jsonl", "w", encoding="utf-8", newline="\n") as f:
    for p in pairs:
        f.write(json.dumps(p, ensure_ascii=False) + "\n")
with open(OUT_DIR / "corpora.jsonl", "w", encoding="utf-8", newline="\n") as f:
    for cid, pids in corpora:
        assert pids, cid
        f.write(json.dumps({"id": cid, "pair_ids": pids}, ensure_ascii=False) + "\n")

print(f"wrote {len(pairs)} pairs and {len(corpora)} corpora to {OUT_DIR}")
