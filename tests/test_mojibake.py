from ingest.mojibake import detect, repair
from ingest.reader import read_guide
from tests.conftest import GUIDE

DEBRIS = ("ü§", "‚Äî", "‚Ä", "\uf8ff", "Ô∏", "√", "â€")


def test_shipped_guide_is_detected_as_mac_roman_and_fully_repaired():
    raw = GUIDE.read_text(encoding="utf-8")
    assert detect(raw) == "mac_roman"
    fixed = repair(raw)
    assert fixed.runs_fixed > 20
    assert "🤖 100 Most Asked" in fixed.text
    assert not any(d in fixed.text for d in DEBRIS)


def test_cp1252_mojibake_is_repaired():
    original = "Trade-offs — latency vs quality “quoted” 🚀 and more — here"
    # As Windows tools do it: bytes cp1252 leaves undefined become C1 controls.
    damaged = "".join(_sloppy_cp1252(b) for b in original.encode("utf-8"))
    assert damaged != original
    assert repair(damaged).text == original


def _sloppy_cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def test_clean_text_with_accents_is_left_alone():
    text = "Café, naïve, Zürich — “smart quotes” stay as they are. 🤖"
    result = repair(text)
    assert result.codec is None and result.text == text


def test_partly_damaged_text_keeps_its_good_parts():
    good = "Intro café — fine. "
    damaged = "Then 🤖 robots — dashes.".encode("utf-8").decode("mac_roman")
    damaged2 = "And 🚀 rockets.".encode("utf-8").decode("mac_roman")
    result = repair(good + damaged + damaged2)
    assert result.text == good + "Then 🤖 robots — dashes." + "And 🚀 rockets."


def test_read_guide_returns_repaired_text():
    assert "‚Äî" not in read_guide(GUIDE)
