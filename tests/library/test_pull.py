"""``pull``: choosing the file, and downloading it against the fake Hub on 127.0.0.1.

The library's download runs on a worker thread (blocking HTTP), so each test
calls it through ``asyncio.to_thread`` or the async API while the fake Hub
serves on the test's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from deskchat import library
from deskchat.library import (
    ChecksumMismatchError,
    DownloadProgress,
    Hub,
    Locations,
    ModelNotFoundError,
    NotEnoughDiskSpaceError,
    QuantNotFoundError,
    TokenRequiredError,
)
from tests.fakes.hf_hub import TOKEN, FakeHub, FakeRepo
from tests.library.conftest import MB, quant_file

REPO = "fake/Tiny-GGUF"


async def plan(spec: str, hub: Hub, locations: Locations) -> library.PullPlan:
    return await asyncio.to_thread(library.plan_pull, spec, hub=hub, locations=locations)


async def fetch(plan_: library.PullPlan, seen: list[DownloadProgress] | None = None) -> Path:
    return await asyncio.to_thread(
        library.download, plan_, progress=seen.append if seen is not None else None
    )


def leftovers(locations: Locations) -> list[str]:
    return sorted(p.name for p in locations.models_dir.rglob("*") if ".incomplete" in p.name)


async def test_default_takes_q4_k_m_and_reports_its_name_and_size(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    chosen = await plan(REPO, hub, locations)
    assert chosen.filename == "Tiny-Q4_K_M.gguf"
    assert chosen.size == MB
    assert chosen.name == "fake/Tiny-GGUF:Q4_K_M"
    assert chosen.existing is None
    seen: list[DownloadProgress] = []
    path = await fetch(chosen, seen)
    assert path == locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf"
    assert path.read_bytes() == fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    assert leftovers(locations) == []
    # Progress: from the first byte to the whole file, then verified and done.
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].phase == "done"
    assert seen[-1].done == seen[-1].total == MB
    assert "verifying" in [p.phase for p in seen]


async def test_quant_is_matched_case_insensitively(hub: Hub, locations: Locations) -> None:
    chosen = await plan(f"{REPO}:q8_0", hub, locations)
    assert chosen.filename == "Tiny-Q8_0.gguf"
    assert chosen.size == 2 * MB


async def test_without_q4_k_m_the_smallest_file_is_taken(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos["fake/Other-GGUF"] = FakeRepo(
        {"o-Q8_0.gguf": quant_file(7, 3000), "o-Q5_K_M.gguf": quant_file(17, 2000)}
    )
    chosen = await plan("fake/Other-GGUF", hub, locations)
    assert chosen.filename == "o-Q5_K_M.gguf"


async def test_unknown_quant_names_the_ones_there_are(hub: Hub, locations: Locations) -> None:
    with pytest.raises(QuantNotFoundError) as caught:
        await plan(f"{REPO}:Q6_K", hub, locations)
    assert "no .gguf file with 'Q6_K'" in caught.value.text()
    assert caught.value.available == ("Q2_K", "Q4_K_M", "Q8_0")


async def test_unknown_repository_is_a_sentence(hub: Hub, locations: Locations) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        await plan("fake/Missing-GGUF", hub, locations)
    assert caught.value.text().startswith("fake/Missing-GGUF was not found on http://127.0.0.1:")


async def test_a_dropped_connection_resumes_with_range(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos[REPO].drop_after["Tiny-Q4_K_M.gguf"] = 300_000
    path = await fetch(await plan(REPO, hub, locations))
    assert path.read_bytes() == fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    ranges = fake_hub.ranges("Tiny-Q4_K_M.gguf")
    assert ranges[0] == ""
    assert len(ranges) == 2
    # Every byte received before the drop was kept: the retry asks for the rest only.
    assert ranges[1] == "bytes=300000-"
    assert fake_hub.sent["Tiny-Q4_K_M.gguf"] == MB


async def test_cancelling_keeps_the_part_and_the_next_pull_resumes_it(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos[REPO].slow = 0.02
    chosen = await plan(REPO, hub, locations)
    halfway = asyncio.Event()

    def progress(update: DownloadProgress) -> None:
        if update.done > MB // 4:
            halfway.set()

    task = asyncio.ensure_future(library.adownload(chosen, progress=progress))
    await asyncio.wait_for(halfway.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    part = chosen.files[0].part
    kept = part.stat().st_size
    assert MB // 4 < kept < MB
    assert not chosen.files[0].dest.exists()
    record = json.loads(chosen.files[0].record.read_text())
    published = hashlib.sha256(fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]).hexdigest()
    assert record["sha256"] == published

    fake_hub.repos[REPO].slow = 0
    again = await plan(REPO, hub, locations)  # as after a restart: a fresh plan
    assert again.resumable == kept
    assert again.needed == MB - kept
    seen: list[DownloadProgress] = []
    path = await fetch(again, seen)
    assert path.read_bytes() == fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    assert fake_hub.ranges("Tiny-Q4_K_M.gguf")[-1] == f"bytes={kept}-"
    assert seen[0].resumed_from == kept
    assert leftovers(locations) == []


async def test_cancelling_on_a_stalled_connection_returns_promptly(
    hub: Hub, locations: Locations, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("deskchat.library.pulling.CANCEL_GRACE", 0.2)
    fake_hub.repos[REPO].slow = 1.0  # the next chunk comes long after Stop
    chosen = await plan(REPO, hub, locations)
    started = asyncio.Event()
    task = asyncio.ensure_future(
        library.adownload(chosen, progress=lambda p: started.set() if p.done else None)
    )
    await asyncio.wait_for(started.wait(), 10)
    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert loop.time() - stopped_at < 1.0
    kept = chosen.files[0].part.stat().st_size
    await asyncio.sleep(1.3)  # the worker wakes at the next chunk and stops, writing nothing
    assert chosen.files[0].part.stat().st_size == kept
    assert not chosen.files[0].dest.exists()


async def test_a_part_of_another_file_is_not_resumed(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    chosen = await plan(REPO, hub, locations)
    request = chosen.files[0]
    request.dest.parent.mkdir(parents=True)
    request.part.write_bytes(b"x" * 1000)
    request.record.write_text(json.dumps(dict(request.describe(), sha256="0" * 64)))
    assert (await plan(REPO, hub, locations)).resumable == 0
    path = await fetch(chosen)
    assert path.read_bytes() == fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    assert fake_hub.ranges("Tiny-Q4_K_M.gguf") == [""]


async def test_a_server_that_ignores_range_is_downloaded_from_the_start(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos[REPO].drop_after["Tiny-Q4_K_M.gguf"] = 400_000
    fake_hub.repos[REPO].ignore_range = True
    seen: list[DownloadProgress] = []
    path = await fetch(await plan(REPO, hub, locations), seen)
    assert path.read_bytes() == fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    ranges = fake_hub.ranges("Tiny-Q4_K_M.gguf")
    assert len(ranges) == 2
    assert ranges[1].startswith("bytes=")  # asked to resume, got the whole file again
    assert fake_hub.sent["Tiny-Q4_K_M.gguf"] == 400_000 + MB
    assert seen[-1].done == MB


async def test_a_wrong_checksum_deletes_the_file_and_says_so(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos["fake/Broken-GGUF"] = FakeRepo(
        {"Broken-Q4_K_M.gguf": quant_file(15, 50_000)},
        published={"Broken-Q4_K_M.gguf": "ab" * 32},
    )
    chosen = await plan("fake/Broken-GGUF", hub, locations)
    with pytest.raises(ChecksumMismatchError) as caught:
        await fetch(chosen)
    text = caught.value.text()
    assert "Broken-Q4_K_M.gguf from fake/Broken-GGUF" in text
    assert "the Hub publishes abababababababab" in text
    assert "so it was deleted" in text
    assert list(locations.models_dir.rglob("*.gguf*")) == []


async def test_a_gated_repository_without_a_token_says_how_to_give_one(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos["fake/Gated-GGUF"] = FakeRepo(
        {"Gated-Q4_K_M.gguf": quant_file(15, 40_000)}, gated="manual"
    )
    chosen = await plan("fake/Gated-GGUF", hub, locations)
    with pytest.raises(TokenRequiredError) as caught:
        await fetch(chosen)
    text = caught.value.text()
    assert "fake/Gated-GGUF is a gated repository: it needs a Hugging Face token" in text
    assert "HF_TOKEN" in text
    assert "`hf auth login`" in text
    assert f"{hub.resolved_endpoint()}/fake/Gated-GGUF" in text
    resolve = [r for r in fake_hub.requests if "/resolve/" in r[1]]
    assert "Authorization" not in resolve[-1][2]
    assert list(locations.models_dir.rglob("*.gguf")) == []


async def test_a_gated_repository_with_hf_token_downloads(
    hub_url: str, locations: Locations, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.repos["fake/Gated-GGUF"] = FakeRepo(
        {"Gated-Q4_K_M.gguf": quant_file(15, 40_000)}, gated="manual"
    )
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    path = await fetch(await plan("fake/Gated-GGUF", Hub(endpoint=hub_url), locations))
    assert path.stat().st_size == 40_000
    cdn = [r for r in fake_hub.requests if r[1].startswith("/cdn/")]
    # The token goes to the Hub, not to the CDN on another host.
    assert "Authorization" not in cdn[-1][2]


async def test_a_token_without_access_is_told_to_accept_the_terms(
    hub_url: str, locations: Locations, fake_hub: FakeHub
) -> None:
    fake_hub.repos["fake/Gated-GGUF"] = FakeRepo(
        {"Gated-Q4_K_M.gguf": quant_file(15, 40_000)}, gated="manual"
    )
    other = Hub(endpoint=hub_url, token="hf_not_approved")
    with pytest.raises(library.AccessDeniedError) as caught:
        await fetch(await plan("fake/Gated-GGUF", other, locations))
    assert "has no access to fake/Gated-GGUF yet: accept its terms" in caught.value.text()


async def test_too_little_disk_space_stops_before_writing(
    hub: Hub, locations: Locations, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = await plan(REPO, hub, locations)
    usage = shutil.disk_usage("/")
    monkeypatch.setattr(
        "deskchat.library.transfer.shutil.disk_usage",
        lambda _: usage._replace(free=700_000),
    )
    with pytest.raises(NotEnoughDiskSpaceError) as caught:
        await fetch(chosen)
    text = caught.value.text()
    assert "Not enough free disk space for Tiny-Q4_K_M.gguf: it needs 1.00 MB" in text
    assert "only 700 kB is free there" in text
    assert not locations.models_dir.exists()


async def test_a_model_already_downloaded_is_not_fetched_again(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    first = await fetch(await plan(REPO, hub, locations))
    again = await plan(REPO, hub, locations)
    assert again.existing == first
    assert again.existing_source == "downloaded"
    cdn_before = len(fake_hub.ranges("Tiny-Q4_K_M.gguf"))
    assert await fetch(again) == first
    assert len(fake_hub.ranges("Tiny-Q4_K_M.gguf")) == cdn_before


async def test_a_model_in_the_hugging_face_cache_is_used_in_place(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    data = fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    repo = locations.hf_cache / "models--fake--Tiny-GGUF"
    blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
    blob.parent.mkdir(parents=True)
    blob.write_bytes(data)
    snapshot = repo / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "Tiny-Q4_K_M.gguf").symlink_to(blob)
    chosen = await plan(REPO, hub, locations)
    assert chosen.existing == snapshot / "Tiny-Q4_K_M.gguf"
    assert chosen.existing_source == "huggingface"
    assert chosen.needed == 0
    assert await fetch(chosen) == snapshot / "Tiny-Q4_K_M.gguf"
    assert fake_hub.ranges("Tiny-Q4_K_M.gguf") == []
    assert not locations.models_dir.exists()


async def test_another_version_in_the_hugging_face_cache_is_not_used(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    data = fake_hub.repos[REPO].files["Tiny-Q4_K_M.gguf"]
    repo = locations.hf_cache / "models--fake--Tiny-GGUF"
    older = repo / "blobs" / ("0" * 64)  # same size, another sha256
    older.parent.mkdir(parents=True)
    older.write_bytes(bytes(len(data)))
    snapshot = repo / "snapshots" / ("b" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "Tiny-Q4_K_M.gguf").symlink_to(older)
    chosen = await plan(REPO, hub, locations)
    assert chosen.existing is None
    assert (await fetch(chosen)).read_bytes() == data


async def test_split_models_download_every_part(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    first, second = quant_file(15, 30_000), b"second part" * 1000
    fake_hub.repos["fake/Split-GGUF"] = FakeRepo(
        {
            "Q4_K_M/Split-Q4_K_M-00001-of-00002.gguf": first,
            "Q4_K_M/Split-Q4_K_M-00002-of-00002.gguf": second,
        }
    )
    chosen = await plan("fake/Split-GGUF", hub, locations)
    assert chosen.size == len(first) + len(second)
    path = await fetch(chosen)
    assert path.name == "Split-Q4_K_M-00001-of-00002.gguf"
    assert path.read_bytes() == first
    assert path.with_name("Split-Q4_K_M-00002-of-00002.gguf").read_bytes() == second


async def test_hf_endpoint_is_honoured(
    hub_url: str, locations: Locations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub_url + "/")
    chosen = await plan(REPO, Hub(), locations)
    assert chosen.files[0].url.startswith(hub_url + "/fake/Tiny-GGUF/resolve/")


async def test_an_unreachable_hub_is_a_sentence(locations: Locations) -> None:
    with pytest.raises(library.DownloadError) as caught:
        await plan(REPO, Hub(endpoint="http://127.0.0.1:9"), locations)
    assert caught.value.text().startswith("Could not reach http://127.0.0.1:9")


async def test_apull_plans_and_downloads(
    hub: Hub, locations: Locations, monkeypatch: pytest.MonkeyPatch, fake_hub: FakeHub
) -> None:
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(locations.data_dir))
    seen: list[DownloadProgress] = []
    path = await library.apull(f"{REPO}:Q2_K", progress=seen.append, hub=hub)
    assert path.read_bytes() == fake_hub.repos[REPO].files["Tiny-Q2_K.gguf"]
    assert seen[-1].phase == "done"


# -- a vision model's projector ------------------------------------------------------

VISION = "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF"  # the catalogue's vision model


def vision_repo() -> FakeRepo:
    return FakeRepo(
        {
            "Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf": quant_file(15, MB, seed=5),
            "Qwen2.5-VL-3B-Instruct-Q8_0.gguf": quant_file(7, 2 * MB, seed=6),
            "mmproj-Qwen2.5-VL-3B-Instruct-f16.gguf": quant_file(1, MB // 2, seed=7),
            "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf": quant_file(7, MB // 4, seed=8),
        }
    )


async def test_the_catalogue_vision_model_comes_with_its_projector(locations: Locations) -> None:
    from deskchat.gguf import find_projector
    from tests.fakes.scripted import serving

    fake = FakeHub({VISION: vision_repo()})
    async with serving(fake.app) as url:
        hub = Hub(endpoint=url)
        chosen = await plan(VISION, hub, locations)
        assert chosen.filename == "Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf"
        assert chosen.projector is not None
        assert chosen.projector.path == "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf"
        assert len(chosen.files) == 1  # the projector is not a part of the model
        assert chosen.size == chosen.needed == MB + MB // 4
        path = await fetch(chosen)
        projector = path.with_name("mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf")
        assert projector.read_bytes() == fake.repos[VISION].files[projector.name]
        assert find_projector(path) == projector
        (model,) = library.local_models(locations=locations)
        assert model.name == f"{VISION}:Q4_K_M"
        assert model.projector == projector
        assert model.vision
        # Both there: nothing more to fetch.
        again = await plan(VISION, hub, locations)
        assert again.existing == path
        assert again.needed == 0
        # Removing the model takes its projector with it.
        removal = library.remove_model(model.name, locations=locations)
        assert set(removal.deleted) == {path, projector}
        assert removal.freed == MB + MB // 4
        assert not projector.exists()


async def test_a_model_pulled_without_its_projector_fetches_only_the_projector(
    locations: Locations,
) -> None:
    from tests.fakes.scripted import serving

    fake = FakeHub({VISION: vision_repo()})
    folder = locations.models_dir / "ggml-org" / "Qwen2.5-VL-3B-Instruct-GGUF"
    folder.mkdir(parents=True)
    model_bytes = fake.repos[VISION].files["Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf"]
    (folder / "Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf").write_bytes(model_bytes)
    async with serving(fake.app) as url:
        chosen = await plan(VISION, Hub(endpoint=url), locations)
        assert chosen.existing is None
        assert chosen.needed == MB // 4
        await fetch(chosen)
    fetched = [p.rsplit("/", 1)[-1] for m, p, _h in fake.requests if m == "GET"]
    # (The Hub's URL, then the CDN's it redirects to: the projector's, never the model's.)
    assert {name for name in fetched if name.endswith(".gguf")} == {
        "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf"
    }


async def test_other_repositories_bring_their_projector_only_when_asked(
    hub: Hub, locations: Locations, fake_hub: FakeHub
) -> None:
    assert (await plan(REPO, hub, locations)).projector is None
    asked = await asyncio.to_thread(
        library.plan_pull, REPO, hub=hub, locations=locations, projector=True
    )
    assert asked.projector is not None
    assert asked.projector.path == "mmproj-Tiny-f16.gguf"
    assert asked.size == MB + MB // 4
    path = await fetch(asked)
    assert path.with_name("mmproj-Tiny-f16.gguf").is_file()
    refused = await asyncio.to_thread(
        library.plan_pull, REPO, hub=hub, locations=locations, projector=False
    )
    assert refused.projector is None
