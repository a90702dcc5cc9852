"""Finding models already on the machine, in each app's own layout (tmp folders)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from deskchat.library import Locations, add_model_file, local_models
from deskchat.library.paths import gpt4all_models, hf_hub_cache, lmstudio_models, ollama_models
from tests.fakes.hf_hub import make_gguf


def gguf_at(path: Path, *, file_type: int | None = 15, size: int = 8000, **kw: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_gguf(file_type=file_type, size=size, **kw))  # type: ignore[arg-type]
    return path


def hf_cache_file(cache: Path, repo: str, name: str, *, commit: str = "c" * 40) -> Path:
    """A file as huggingface_hub stores it: a blob, and a snapshot link to it."""
    folder = cache / f"models--{repo.replace('/', '--')}"
    blob = gguf_at(folder / "blobs" / f"{abs(hash(name)):064d}", size=3000)
    link = folder / "snapshots" / commit / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(blob, link.parent))
    (folder / "refs").mkdir(exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    return link


def ollama_model(
    root: Path,
    name: str,
    tag: str,
    digest: str,
    *,
    host: str = "registry.ollama.ai",
    namespace: str = "library",
    extra_layers: tuple[dict[str, str], ...] = (),
) -> Path:
    blob = root / "blobs" / f"sha256-{digest}"
    if not blob.exists():
        gguf_at(blob, file_type=2, architecture="qwen2")
    manifest = root / "manifests" / host / namespace / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    layers = [
        *extra_layers,
        {
            "mediaType": "application/vnd.ollama.image.model",
            "digest": f"sha256:{digest}",
            "size": 1,
        },
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "e" * 64},
    ]
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))
    return blob


def by_name(models: list) -> dict[str, object]:
    return {m.name: m for m in models}


def test_nothing_anywhere_is_an_empty_list(locations: Locations) -> None:
    assert local_models(locations=locations) == []


def test_each_source_is_found_with_name_size_quant_and_origin(locations: Locations) -> None:
    home = locations.data_dir.parent / "home"
    mine = gguf_at(locations.models_dir / "bartowski" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf")
    cached = hf_cache_file(
        locations.hf_cache, "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q8_0.gguf"
    )
    studio = gguf_at(
        locations.lmstudio[0]
        / "lmstudio-community"
        / "gemma-3-1b-it-GGUF"
        / "gemma-3-1b-it-Q4_K_M.gguf",
        file_type=None,
    )
    gpt4all = gguf_at(locations.gpt4all[0] / "Llama-3.2-1B-Instruct-Q4_0.gguf", file_type=2)
    gguf_at(locations.gpt4all[0] / "incomplete-Other-Q4_0.gguf")
    blob = ollama_model(locations.ollama[0], "qwen2.5", "0.5b", "a" * 64)
    added = add_model_file(
        gguf_at(home / "Downloads" / "my-model.gguf", file_type=18), locations.data_dir
    )
    models = local_models(locations=locations)
    assert [(m.name, m.source, m.quantization) for m in models] == [
        ("bartowski/Tiny-GGUF:Q4_K_M", "downloaded", "Q4_K_M"),
        ("my-model", "added", "Q6_K"),
        ("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q8_0", "huggingface", "Q4_K_M"),  # header wins
        ("lmstudio-community/gemma-3-1b-it-GGUF:Q4_K_M", "lmstudio", "Q4_K_M"),  # from the name
        ("Llama-3.2-1B-Instruct-Q4_0", "gpt4all", "Q4_0"),
        ("qwen2.5:0.5b", "ollama", "Q4_0"),
    ]
    paths = [m.path for m in models]
    assert paths == [mine, added, cached, studio, gpt4all, blob]
    assert [m.size for m in models] == [p.stat().st_size for p in paths]
    assert [m.repo for m in models][:4] == [
        "bartowski/Tiny-GGUF",
        None,
        "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
        "lmstudio-community/gemma-3-1b-it-GGUF",
    ]
    assert [m.removable for m in models] == [True, False, False, False, False, False]
    assert models[5].architecture == "qwen2"
    assert models[0].has_chat_template
    assert models[0].context_length == 2048
    # The cache's link is the path given to the engine (its name carries the split suffix).
    assert paths[2].is_symlink()


def test_the_hf_cache_skips_links_to_blobs_still_downloading(locations: Locations) -> None:
    good = hf_cache_file(locations.hf_cache, "a/b-GGUF", "b-Q4_K_M.gguf")
    snapshot = good.parent
    (snapshot / "b-Q8_0.gguf").symlink_to("../../blobs/missing")  # blob not there yet
    (snapshot.parent.parent / "blobs" / "x.incomplete").write_bytes(b"GGUF")
    assert [m.name for m in local_models(locations=locations)] == ["a/b-GGUF:Q4_K_M"]


def test_the_hf_cache_lists_a_file_in_two_snapshots_once(locations: Locations) -> None:
    hf_cache_file(locations.hf_cache, "a/b-GGUF", "b-Q4_K_M.gguf", commit="1" * 40)
    newer = hf_cache_file(locations.hf_cache, "a/b-GGUF", "b-Q4_K_M.gguf", commit="2" * 40)
    models = local_models(locations=locations)
    assert [m.path for m in models] == [newer]  # refs/main names the newer commit


def test_ollama_names_tags_namespaces_and_shared_blobs(locations: Locations) -> None:
    root = locations.ollama[0]
    ollama_model(root, "qwen2.5", "0.5b", "a" * 64)
    ollama_model(root, "qwen2.5", "latest", "a" * 64)  # the same blob under another tag
    ollama_model(root, "mistral-small", "24b", "b" * 64, namespace="someone")
    ollama_model(
        root, "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M", "c" * 64, host="hf.co", namespace="bartowski"
    )
    vision = {"mediaType": "application/vnd.ollama.image.projector", "digest": "sha256:" + "d" * 64}
    ollama_model(root, "llava", "7b", "f" * 64, extra_layers=(vision,))
    broken = root / "manifests" / "registry.ollama.ai" / "library" / "broken" / "1b"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    names = [m.name for m in local_models(locations=locations)]
    assert names == [
        "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
        "llava:7b",
        "qwen2.5:0.5b",
        "someone/mistral-small:24b",
    ]


def test_split_models_are_one_entry_with_every_part(locations: Locations) -> None:
    folder = locations.models_dir / "a" / "Big-GGUF"
    first = gguf_at(folder / "Big-Q4_K_M-00001-of-00002.gguf", size=20_000)
    second = folder / "Big-Q4_K_M-00002-of-00002.gguf"
    second.write_bytes(b"rest" * 1000)
    (model,) = local_models(locations=locations)
    assert model.name == "a/Big-GGUF:Q4_K_M"
    assert model.path == first
    assert model.parts == (first, second)
    assert model.size == 20_000 + 4000


def test_projectors_and_partial_downloads_are_not_models(locations: Locations) -> None:
    folder = locations.lmstudio[0] / "pub" / "vision-GGUF"
    gguf_at(folder / "vision-Q4_K_M.gguf")
    gguf_at(folder / "mmproj-vision-f16.gguf")
    (locations.models_dir / "a" / "b").mkdir(parents=True)
    (locations.models_dir / "a" / "b" / "b-Q4_K_M.gguf.incomplete").write_bytes(b"GGUF")
    assert [m.name for m in local_models(locations=locations)] == ["pub/vision-GGUF:Q4_K_M"]


def test_two_quants_of_one_name_are_told_apart_by_file(locations: Locations) -> None:
    folder = locations.lmstudio[0] / "pub" / "m-GGUF"
    gguf_at(folder / "m-Q4_K_M.gguf")
    gguf_at(folder / "imatrix" / "m-Q4_K_M.gguf")
    names = [m.name for m in local_models(locations=locations)]
    assert names == ["pub/m-GGUF/imatrix/m-Q4_K_M.gguf", "pub/m-GGUF/m-Q4_K_M.gguf"]


def test_a_file_reachable_twice_is_listed_once_under_the_first_source(
    locations: Locations,
) -> None:
    studio = gguf_at(locations.lmstudio[0] / "pub" / "m-GGUF" / "m-Q4_K_M.gguf")
    add_model_file(studio, locations.data_dir)
    (model,) = local_models(locations=locations)
    assert model.source == "added"


def test_a_folder_link_that_loops_back_is_walked_once(locations: Locations) -> None:
    folder = locations.lmstudio[0] / "pub" / "m-GGUF"
    gguf_at(folder / "m-Q4_K_M.gguf")
    (folder / "again").symlink_to(folder, target_is_directory=True)
    assert [m.name for m in local_models(locations=locations)] == ["pub/m-GGUF:Q4_K_M"]


def test_a_damaged_file_is_listed_with_its_problem(locations: Locations) -> None:
    bad = locations.gpt4all[0] / "broken-Q4_0.gguf"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"GGUF" + b"\xff" * 40)
    (model,) = local_models(locations=locations)
    assert model.info is None
    assert model.quantization == "Q4_0"  # from the file name
    assert model.problem is not None
    assert model.problem.startswith("The GGUF header of broken-Q4_0.gguf is damaged")


def test_default_folders_follow_each_apps_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert hf_hub_cache() == home / ".cache" / "huggingface" / "hub"  # HF_HOME (conftest)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert hf_hub_cache() == tmp_path / "hub"
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hf_hub_cache() == tmp_path / "xdg" / "huggingface" / "hub"

    assert lmstudio_models() == [home / ".lmstudio" / "models", home / ".cache/lm-studio/models"]
    (home / ".lmstudio-home-pointer").write_text(str(tmp_path / "elsewhere") + "\n")
    assert lmstudio_models()[0] == tmp_path / "elsewhere" / "models"

    assert ollama_models()[0] == home / ".ollama" / "models"
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "om"))
    assert ollama_models() == [tmp_path / "om"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux folders")
def test_gpt4all_folders_on_linux(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert gpt4all_models() == [
        home / ".local" / "share" / "nomic.ai" / "GPT4All",
        home / ".cache" / "gpt4all",
    ]
    ini = home / ".config" / "nomic.ai" / "GPT4All.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text(f"[General]\nmodelPath={tmp_path / 'gpt-models'}/\n")
    assert gpt4all_models()[0] == tmp_path / "gpt-models"


def test_default_locations_find_models_under_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gguf_at(home / ".lmstudio" / "models" / "pub" / "m-GGUF" / "m-Q4_K_M.gguf")
    ollama_model(home / ".ollama" / "models", "qwen2.5", "0.5b", "a" * 64)
    names = [m.name for m in local_models(tmp_path / "data")]
    assert names == ["pub/m-GGUF:Q4_K_M", "qwen2.5:0.5b"]


def test_a_vision_model_records_the_projector_beside_it(locations: Locations) -> None:
    studio = locations.lmstudio[0] / "lmstudio-community" / "gemma-3-4b-it-GGUF"
    gguf_at(studio / "gemma-3-4b-it-Q4_K_M.gguf")
    projector = gguf_at(studio / "mmproj-model-f16.gguf", architecture="clip")
    gguf_at(locations.lmstudio[0] / "pub" / "text-GGUF" / "text-Q4_K_M.gguf")
    models = by_name(local_models(locations=locations))
    assert set(models) == {"lmstudio-community/gemma-3-4b-it-GGUF:Q4_K_M", "pub/text-GGUF:Q4_K_M"}
    vision = models["lmstudio-community/gemma-3-4b-it-GGUF:Q4_K_M"]
    assert vision.projector == projector  # type: ignore[attr-defined]
    assert vision.vision  # type: ignore[attr-defined]
    assert models["pub/text-GGUF:Q4_K_M"].projector is None  # type: ignore[attr-defined]


def test_gpt4all_and_added_projectors_are_not_models(locations: Locations, tmp_path: Path) -> None:
    gguf_at(locations.gpt4all[0] / "Phi-3-mini-Q4_0.gguf")
    gguf_at(locations.gpt4all[0] / "mmproj-something-f16.gguf", architecture="clip")
    # A projector added by hand before DeskChat refused it stays off the list.
    stray = gguf_at(tmp_path / "mine" / "mmproj-mine-f16.gguf", architecture="clip")
    locations.added_models.parent.mkdir(parents=True, exist_ok=True)
    locations.added_models.write_text(json.dumps({"paths": [str(stray)]}))
    assert [m.name for m in local_models(locations=locations)] == ["Phi-3-mini-Q4_0"]
    # GPT4All's one flat folder: its projector is no one's.
    assert local_models(locations=locations)[0].projector is None


def test_adding_a_projector_is_refused(locations: Locations, tmp_path: Path) -> None:
    from deskchat.library import LibraryError

    # By its header, whatever its name.
    encoder = gguf_at(tmp_path / "vision-encoder.gguf", architecture="clip")
    with pytest.raises(LibraryError, match="vision-encoder.gguf is a vision projector"):
        add_model_file(encoder, locations.data_dir)
    model = gguf_at(tmp_path / "model.gguf")
    projector = gguf_at(tmp_path / "model.mmproj-f16.gguf", architecture="clip")
    assert add_model_file(model, locations.data_dir) == model
    (added,) = local_models(locations=locations)
    assert added.projector == projector
