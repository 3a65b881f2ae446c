"""The personalized render (subject + HTML + text, per-recipient links signed) against node's
official `mjml` compiling the same template, in a warm node process, alternated.

Node's `mjml@5` is installed into var/bench-cache/node (by `make bench`, or here when npm is on
the machine); without node or npm the table says so and has no node figure. MRML's compile
(mjml-python's `mjml2html`, which compiles a version when it is saved) is shown too, for scale.
Target (issue 10): ours >= 10x node mjml's compile.
"""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from apps.mail.defaults import sync_email_templates
from apps.mail.rendering import combine
from apps.mail.services import render_for, template_active_version
from mjml import mjml2html
from tests.bench.harness import alternate, note, rate, record
from tests.conftest import ROOT

TEMPLATE = "usage_report"
NODE_CACHE = ROOT / "var" / "bench-cache" / "node"
WORKER = Path(__file__).parent / "peers" / "mjml_worker.js"
RENDERS, NODE_COMPILES, MRML_COMPILES = 2000, 200, 1000
pytestmark = pytest.mark.django_db


def node_mjml() -> str | None:
    """The node binary with mjml installed in the cache folder, or None (and why, in a note)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node:
        note("render: node is not on this machine: no node mjml figure (install nodejs)")
        return None
    if not (NODE_CACHE / "node_modules" / "mjml" / "package.json").exists():
        if not npm:
            note("render: npm is not on this machine: node mjml could not be installed")
            return None
        NODE_CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_CACHE),
                "mjml@5",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            note(f"render: `npm install mjml@5` failed, no node figure: {done.stderr[-300:]}")
            return None
    return node


class NodeMjml:
    """A warm node process compiling with the official mjml; one request per round."""

    def __init__(self, node: str, document: str):
        self.document = document
        self.process = subprocess.Popen(
            [node, str(WORKER), str(NODE_CACHE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.version = ""

    def compile(self, n: int) -> dict:
        self.process.stdin.write(json.dumps({"mjml": self.document, "n": n}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert answer["errors"] == 0 and answer["html_bytes"] > 10_000, answer
        self.version = answer["version"]
        return answer

    def __call__(self, round_no: int) -> float:
        return rate(NODE_COMPILES, self.compile(NODE_COMPILES)["seconds"])

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def test_personalized_render_against_node_mjml():
    sync_email_templates()
    version = template_active_version(key=TEMPLATE)
    document, _ = combine(version.layout_mjml, version.mjml)
    sample = version.sample_context

    def ours(round_no: int) -> float:
        started = time.perf_counter()
        for i in range(RENDERS):
            context = {**sample, "name": f"Recipient {i}"}
            rendered = render_for(version=version, address=f"user{i}@example.com", context=context)
        assert f"Recipient {RENDERS - 1}" in rendered.html and rendered.subject and rendered.text
        return rate(RENDERS, time.perf_counter() - started)

    def mrml(round_no: int) -> float:
        started = time.perf_counter()
        for _ in range(MRML_COMPILES):
            mjml2html(document, disable_comments=True)
        return rate(MRML_COMPILES, time.perf_counter() - started)

    contenders = {"ours": ours, "mjml-python (MRML) compile": mrml}
    node = node_mjml()
    peer = NodeMjml(node, document) if node else None
    if peer:
        peer.compile(20)  # node's own warm-up (JIT), before the harness's warm-up round
        contenders["node mjml compile"] = peer
    try:
        series = alternate(contenders, label="render", unit="/s")
    finally:
        if peer:
            peer.stop()
    subject = f"personalized render ({TEMPLATE}: subject + HTML + text)"
    if peer:
        record(
            subject,
            ours=series["ours"],
            peer=series["node mjml compile"],
            peer_name=f"node mjml {peer.version} compile",
            unit="/s",
            target_ratio=10.0,
            note="node compiles in a warm process (mjml2html awaited per compile)",
        )
    else:
        record(subject, ours=series["ours"], unit="/s", note="no node figure: see the notes")
    record(
        subject,
        ours=series["ours"],
        peer=series["mjml-python (MRML) compile"],
        peer_name="mjml-python compile",
        unit="/s",
    )
