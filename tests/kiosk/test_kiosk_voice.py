"""Spoken prompts: pre-rendered clips where they exist, Web Speech for the rest."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Page

from kiosk import voice
from tests.browser import browser  # noqa: F401 - fixture
from tests.kiosk.test_kiosk_browser import MakeKiosk, make_kiosk  # noqa: F401 - fixture


def test_spoken_prompts_are_the_fixed_step_prompts_of_both_languages() -> None:
    prompts = voice.spoken_prompts((voice.UI_DIR / "strings.js").read_text(encoding="utf-8"))
    assert prompts["zh"]["p_idle"] == "请放置身份证，或选择其他取号方式"
    assert prompts["en"]["p_services"] == "Choose a service"
    assert "p_ticket" not in prompts["zh"], "a prompt with a number is left to Web Speech"
    assert set(prompts["zh"]) == set(prompts["en"])
    assert all(key.startswith(("p_", "r_", "f_")) for key in prompts["zh"])


async def said(page: Page, entry: dict[str, str]) -> None:
    """Wait until the page has spoken ``entry`` (clip or Web Speech), at most 5 s."""
    for _ in range(100):
        if entry in await page.evaluate("window.__spoken || []"):
            return
        await page.wait_for_timeout(50)
    raise AssertionError(f"never said {entry}: {await page.evaluate('window.__spoken')}")


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing in CI (make system-deps installs it)")
        pytest.skip("espeak-ng is not installed (make system-deps)")
    out = tmp_path / "voice"
    made = voice.build(out, ["zh", "en"], espeak)
    assert made["zh/p_idle"] == "zh/p_idle.wav"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["texts"]["zh/p_idle"] == "请放置身份证，或选择其他取号方式"
    assert (out / "zh" / "p_idle.wav").stat().st_size > 1000
    return out


async def test_fixed_prompts_play_their_clip_and_numbers_use_web_speech(
    make_kiosk: MakeKiosk,  # noqa: F811
    clips: Path,
) -> None:
    k = await make_kiosk(voice_dir=clips)
    await said(
        k.page, {"via": "clip", "file": "zh/p_idle.wav", "text": "请放置身份证，或选择其他取号方式"}
    )
    fetched = await k.page.evaluate(
        "fetch('/static/voice/zh/p_idle.wav').then(r => [r.status, r.headers.get('content-type')])"
    )
    assert fetched[0] == 200 and "audio" in fetched[1]
    await k.place()
    await said(k.page, {"via": "clip", "file": "zh/p_services.wav", "text": "请选择要办理的事项"})
    await k.tap("English")
    await said(k.page, {"via": "clip", "file": "en/p_services.wav", "text": "Choose a service"})


async def test_a_clip_of_an_old_wording_is_not_played(
    make_kiosk: MakeKiosk,  # noqa: F811
    clips: Path,
) -> None:
    manifest = json.loads((clips / "manifest.json").read_text(encoding="utf-8"))
    manifest["texts"]["zh/p_idle"] = "请刷身份证"  # what the prompt said when it was rendered
    (clips / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    k = await make_kiosk(voice_dir=clips)
    await said(k.page, {"via": "speech", "text": "请放置身份证，或选择其他取号方式"})


async def test_without_clips_every_prompt_goes_to_web_speech(
    make_kiosk: MakeKiosk,  # noqa: F811
    tmp_path: Path,
) -> None:
    k = await make_kiosk(voice_dir=tmp_path / "no-voice-here")
    await said(k.page, {"via": "speech", "text": "请放置身份证，或选择其他取号方式"})
