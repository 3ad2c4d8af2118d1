"""Config files: the shipped ones load; bad ones fail with the file and the key path in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierscope.queries.config import ConfigError, load_price_book, load_routing

VALID_ROUTING = """
tiers:
  tier1: [a]
  tier2: [b]
default_tier: tier2
tasks:
  classification: {tier: tier1, baseline_escalation_rate: 0.03, blast_radius: low}
"""

VALID_PRICES = """
models:
  a:
    prices:
      - {effective_from: 2025-01-01, input: 1.0, output: 2.0}
"""

BAD_ROUTING = [
    ("unknown top-level key", VALID_ROUTING + "colour: blue\n", "colour: unknown key"),
    (
        "unknown task key",
        VALID_ROUTING.replace("blast_radius: low", "blast_radius: low, owner: me"),
        "tasks.classification.owner: unknown key",
    ),
    (
        "bad blast radius",
        VALID_ROUTING.replace("blast_radius: low", "blast_radius: huge"),
        "tasks.classification.blast_radius",
    ),
    ("rate above 1", VALID_ROUTING.replace("0.03", "1.5"), "tasks.classification.baseline_escalation_rate"),
    (
        "task on unknown tier",
        VALID_ROUTING.replace("{tier: tier1", "{tier: tier9"),
        "tasks.classification.tier 'tier9' is not one of the tiers",
    ),
    (
        "unknown default tier",
        VALID_ROUTING.replace("default_tier: tier2", "default_tier: gold"),
        "default_tier 'gold' is not one of the tiers",
    ),
    ("model in two tiers", VALID_ROUTING.replace("tier2: [b]", "tier2: [a]"), "model 'a' is in both"),
    ("bad drift window", VALID_ROUTING + "drift: {window: weekly}\n", "drift.window: window must look like"),
    ("drift mode", VALID_ROUTING + "drift: {mode: sideways}\n", "drift.mode"),
    ("guard ratio", VALID_ROUTING + "context_guard_ratio: 2\n", "context_guard_ratio"),
    ("not yaml", "tiers: [unclosed\n", "not valid YAML"),
]

BAD_PRICES = [
    (
        "unknown price key",
        VALID_PRICES.replace("output: 2.0", "output: 2.0, ouput: 3"),
        "models.a.prices[0].ouput: unknown key",
    ),
    ("negative price", VALID_PRICES.replace("input: 1.0", "input: -1"), "models.a.prices[0].input"),
    (
        "missing output",
        VALID_PRICES.replace(", output: 2.0", ""),
        "models.a.prices[0].output: Field required",
    ),
    ("bad date", VALID_PRICES.replace("2025-01-01", "first of may"), "models.a.prices[0].effective_from"),
    (
        "unordered",
        VALID_PRICES + "      - {effective_from: 2024-01-01, input: 1.0, output: 2.0}\n",
        "models.a.prices: prices must be ordered oldest first",
    ),
    (
        "above without tokens",
        VALID_PRICES.replace("output: 2.0}", "output: 2.0, above: {input: 2}}"),
        "above_tokens and above must be given together",
    ),
    (
        "unknown variant key",
        VALID_PRICES.replace("output: 2.0}", "output: 2.0, batch: {inptu: 1}}"),
        "models.a.prices[0].batch.inptu: unknown key",
    ),
    (
        "alias collision",
        VALID_PRICES + "  b:\n    aliases: [a]\n    prices:\n"
        "      - {effective_from: 2025-01-01, input: 1.0, output: 2.0}\n",
        "alias 'a' of 'b' is already a name of 'a'",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in BAD_ROUTING], ids=[c[0] for c in BAD_ROUTING])
def test_bad_routing_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_routing(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in BAD_PRICES], ids=[c[0] for c in BAD_PRICES])
def test_bad_prices_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_price_book(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_shipped_config_covers_the_required_models_and_tasks() -> None:
    price_book = load_price_book()
    required = [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "o3",
        "o4-mini",
        "claude-3-5-haiku",
        "claude-haiku-4-5",
        "claude-sonnet-4-5",
        "claude-sonnet-4-6",
        "claude-opus-4-1",
        "claude-opus-4-5",
        "claude-opus-4-6",
        "claude-opus-4-7",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
    ]
    assert set(required) <= set(price_book.models)
    assert all(price_book.models[name].context_window for name in required)
    routing = load_routing()
    assert set(routing.tasks) == {
        "classification",
        "extraction",
        "summarization",
        "rag_answer",
        "reasoning",
        "code_generation",
    }
    assert (routing.drift.threshold, routing.drift.mode, routing.context_guard_ratio) == (
        0.15,
        "relative",
        0.8,
    )


def test_environment_points_at_user_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(VALID_ROUTING)
    monkeypatch.setenv("TIERSCOPE_ROUTING", str(path))
    assert list(load_routing().tiers) == ["tier1", "tier2"]


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_routing(path)


# ------------------------------------------------------------------ files that are not usable config (no traceback)
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "month 13",
            VALID_PRICES.replace("2025-01-01", "2024-13-01"),
            "line 5, column 26: not valid YAML: 2024-13-01 is not a date (month must be in 1..12)",
        ),
        (
            "30 February",
            VALID_PRICES.replace("2025-01-01", "2024-02-30"),
            "line 5, column 26: not valid YAML: 2024-02-30 is not a date (day is out of range for month)",
        ),
        (
            "not UTF-8",
            VALID_PRICES.replace("a:", "caf\xe9:").encode("latin-1"),
            "not UTF-8 text (byte 0xe9 at offset 14)",
        ),
        ("deep nesting", "[" * 100_000, "nested too deeply"),
        (
            "repeated top-level key",
            VALID_PRICES + "models:\n  b:\n    prices:\n      - {effective_from: 2025-01-01, input: 1, output: 2}\n",
            "key 'models' given twice (lines 2 and 6); a key may appear once in a mapping",
        ),
        (
            "repeated nested key",
            VALID_PRICES.replace("input: 1.0,", "input: 1.0, input: 3.0,"),
            "key 'input' given twice (lines 5 and 5)",
        ),
    ],
)
def test_unusable_prices_file_is_one_line_naming_the_file(
    tmp_path: Path, name: str, content: str | bytes, expected: str
) -> None:
    path = tmp_path / "prices.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ConfigError) as error:
        load_price_book(path)
    message = str(error.value)
    assert message.startswith(f"{path}:"), name
    assert expected in message, name
    assert "\n" not in message, name


def test_a_folder_as_config_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        load_routing(tmp_path)


def test_repeated_key_in_routing_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(VALID_ROUTING + "tasks:\n  extraction: {tier: tier2}\n")
    with pytest.raises(ConfigError, match=r"routing.yaml: key 'tasks' given twice \(lines 6 and 8\)"):
        load_routing(path)


def test_merge_keys_and_anchors_keep_safe_load_semantics(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(
        "tiers: {tier1: [a], tier2: [b]}\ndefault_tier: tier2\n"
        "base: &base {tier: tier1, blast_radius: low}\n"
        "tasks:\n  classification: {<<: *base, blast_radius: high}\n"
    )
    with pytest.raises(ConfigError, match="base: unknown key"):  # the anchor's own key is still validated
        load_routing(path)
    path.write_text(
        "tiers: {tier1: [a], tier2: [b]}\ndefault_tier: tier2\n"
        "tasks:\n  classification: &base {tier: tier1, blast_radius: low}\n"
        "  extraction: {<<: *base, blast_radius: high}\n"
    )
    routing = load_routing(path)
    assert (routing.tasks["extraction"].tier, routing.tasks["extraction"].blast_radius) == ("tier1", "high")


def test_a_character_yaml_refuses_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_bytes(b"\x00" + VALID_PRICES.encode())
    with pytest.raises(ConfigError) as error:
        load_price_book(path)
    assert str(error.value) == f"{path}: not valid YAML: special characters are not allowed '\\x00' at character 0"
