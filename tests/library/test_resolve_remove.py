"""``resolve`` (what the engine loads) and ``remove_model`` (only DeskChat's own downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskchat.library import (
    LibraryError,
    Locations,
    ModelNotFoundError,
    NotOurModelError,
    add_model_file,
    find_local,
    local_models,
    remove_model,
    resolve,
)
from tests.library.test_sources import gguf_at, hf_cache_file, ollama_model


@pytest.fixture
def machine(locations: Locations) -> dict[str, Path]:
    """One model from each source."""
    folder = locations.models_dir / "bartowski" / "Tiny-GGUF"
    return {
        "q4": gguf_at(folder / "Tiny-Q4_K_M.gguf"),
        "q8": gguf_at(folder / "Tiny-Q8_0.gguf", file_type=7),
        "cache": hf_cache_file(
            locations.hf_cache,
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
            "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        ),
        "studio": gguf_at(
            locations.lmstudio[0] / "lmstudio-community" / "m-GGUF" / "m-Q4_K_M.gguf"
        ),
        "ollama": ollama_model(locations.ollama[0], "qwen2.5", "0.5b", "a" * 64),
    }


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ("bartowski/Tiny-GGUF", "q4"),  # default Q4_K_M
        ("bartowski/Tiny-GGUF:q8_0", "q8"),
        ("hf.co/bartowski/Tiny-GGUF:Q8_0", "q8"),
        ("bartowski/Tiny-GGUF:Q4_K_M", "q4"),
        ("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M", "cache"),
        ("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "cache"),
        ("lmstudio-community/m-GGUF", "studio"),
        ("qwen2.5:0.5b", "ollama"),
        ("QWEN2.5:0.5B", "ollama"),
    ],
)
def test_resolve_names_and_specs(
    spec: str, key: str, machine: dict[str, Path], locations: Locations
) -> None:
    assert resolve(spec, locations=locations) == machine[key]


def test_resolve_a_path(machine: dict[str, Path], locations: Locations) -> None:
    assert resolve(str(machine["studio"]), locations=locations) == machine["studio"]
    # A cache link stays a link: llama.cpp finds split parts by the file's name.
    assert resolve(machine["cache"], locations=locations) == machine["cache"]
    with pytest.raises(ModelNotFoundError, match=r"There is no model file at .*missing\.gguf"):
        resolve("missing.gguf", locations=locations)


def test_resolve_says_how_to_pull_what_is_not_here(
    machine: dict[str, Path], locations: Locations
) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        resolve("bartowski/Tiny-GGUF:Q2_K", locations=locations)
    assert caught.value.text() == (
        "bartowski/Tiny-GGUF:Q2_K is not downloaded; run `deskchat pull bartowski/Tiny-GGUF:Q2_K`."
    )
    with pytest.raises(ModelNotFoundError) as caught:
        resolve("someone/Else-GGUF", locations=locations)
    assert "run `deskchat pull someone/Else-GGUF:Q4_K_M`" in caught.value.text()
    with pytest.raises(ModelNotFoundError) as caught:
        resolve("llama3:8b", locations=locations)
    assert caught.value.text().startswith("No model on this machine is called 'llama3:8b'.")


def test_rm_deletes_a_download_and_its_empty_folders(
    machine: dict[str, Path], locations: Locations
) -> None:
    q4 = machine["q4"]
    q4.with_name(q4.name + ".incomplete").write_bytes(b"old part")
    removal = remove_model("bartowski/Tiny-GGUF:Q4_K_M", locations=locations)
    assert removal.deleted == (q4,)
    assert removal.freed == 8000
    assert not q4.exists()
    assert not q4.with_name(q4.name + ".incomplete").exists()
    assert machine["q8"].exists()
    remove_model("bartowski/Tiny-GGUF:Q8_0", locations=locations)
    assert not (locations.models_dir / "bartowski").exists()
    assert locations.models_dir.exists()


@pytest.mark.parametrize(
    ("name", "key", "app"),
    [
        ("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M", "cache", "the Hugging Face cache"),
        ("lmstudio-community/m-GGUF:Q4_K_M", "studio", "LM Studio"),
        ("qwen2.5:0.5b", "ollama", "Ollama"),
    ],
)
def test_rm_refuses_other_apps_models(
    name: str, key: str, app: str, machine: dict[str, Path], locations: Locations
) -> None:
    with pytest.raises(NotOurModelError) as caught:
        remove_model(name, locations=locations)
    assert caught.value.text() == (
        f"{name} belongs to {app} ({machine[key]}); DeskChat only deletes models it "
        f"downloaded itself. Remove it from {app} instead."
    )
    assert machine[key].exists()


def test_rm_refuses_gpt4all_models(locations: Locations) -> None:
    model = gguf_at(locations.gpt4all[0] / "Phi-3-mini-Q4_0.gguf")
    with pytest.raises(NotOurModelError, match="belongs to GPT4All"):
        remove_model("Phi-3-mini-Q4_0", locations=locations)
    assert model.exists()


def test_rm_of_an_added_file_only_forgets_it(locations: Locations, tmp_path: Path) -> None:
    mine = add_model_file(gguf_at(tmp_path / "keep" / "mine.gguf"), locations.data_dir)
    removal = remove_model("mine", locations=locations)
    assert removal.deleted == ()
    assert mine.exists()
    assert local_models(locations=locations) == []


def test_rm_by_path(machine: dict[str, Path], locations: Locations) -> None:
    remove_model(str(machine["q8"]), locations=locations)
    assert not machine["q8"].exists()


def test_rm_of_an_unknown_name(locations: Locations) -> None:
    with pytest.raises(ModelNotFoundError):
        remove_model("nothing-here", locations=locations)


def test_find_local_gives_the_whole_entry(machine: dict[str, Path], locations: Locations) -> None:
    model = find_local("qwen2.5:0.5b", locations=locations)
    assert model.source == "ollama"
    assert model.path == machine["ollama"]


def test_add_refuses_what_is_not_a_model(tmp_path: Path, locations: Locations) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("hello")
    with pytest.raises(LibraryError, match="Only .gguf models can be added"):
        add_model_file(notes, locations.data_dir)
    with pytest.raises(LibraryError, match="There is no file at"):
        add_model_file(tmp_path / "nope.gguf", locations.data_dir)
