"""MJML to HTML with MRML (mjml-python), run in a short-lived child process with limits.

MRML is native code: on input it was not built for (10,000 nested `<div>`s) it crashes the
whole process with SIGSEGV, which Python cannot catch, and any staff member can post a
preview. `bounds` refuses the inputs known to do that, but a crash we have not found yet must
not take a web worker (and every request it serves) down with it. So each compile runs in a
forked child with a CPU limit (RLIMIT_CPU), an address-space limit (RLIMIT_AS, 100 MB over
what the parent had mapped) and a wall-clock deadline; a child that dies or overruns becomes
an ordinary `CompileLimitError`. Measured on this machine: 0.08-0.2 ms per compile in
process, about 8.5 ms in a forked child (tests/mail/test_bounds.py times both), paid only
when staff preview or save, never when an email is sent (sends use the stored HTML).
"""

import faulthandler
import json
import os
import re
import resource
import select
import signal
import time
import warnings

import css_inline

from mjml import mjml2html

from .exceptions import MailError

CHILD_CPU_SECONDS = 2
CHILD_EXTRA_MEMORY = 100 * 1024 * 1024
CHILD_WALL_SECONDS = 5.0

# Forking a threaded server is safe here: the child only runs MRML and css-inline (Rust, no
# Python locks), writes to a pipe and leaves with os._exit; a child that deadlocks anyway is
# killed at the deadline.
warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning)

_BLOCK_TAG = re.compile(r"{%.*?%}", re.S)
_INLINE_STYLE = re.compile(r"<mj-style\s+inline=\"inline\"\s*>(.*?)</mj-style\s*>", re.S)


class CompileLimitError(MailError, ValueError):
    """The MJML compile crashed or needed more CPU or memory than a compile may have."""


def compile_mjml(document: str) -> tuple[str, str]:
    """(HTML, HTML before CSS inlining): `<mj-style inline="inline">` is inlined as MJML does.

    MRML itself emits such rules as a `<style>` block; they are inlined with css-inline.
    """
    inline_css = "\n".join(_INLINE_STYLE.findall(document))
    html = mjml2html(_INLINE_STYLE.sub("", document), disable_comments=True)
    if not inline_css:
        return html, html
    inliner = css_inline.CSSInliner(
        extra_css=inline_css,
        inline_style_tags=False,
        keep_style_tags=True,
        load_remote_stylesheets=False,
    )
    # The HTML parser behind inlining moves text found between table rows out of the table;
    # template tags are parked in comments (which stay put) and restored afterwards.
    tags: list[str] = []

    def park(match: re.Match) -> str:
        tags.append(match.group(0))
        return f"<!--tag{len(tags) - 1}-->"

    inlined = inliner.inline(_BLOCK_TAG.sub(park, html))
    for index, tag in enumerate(tags):
        for parked in (f"<!--tag{index}-->", f"&lt;!--tag{index}--&gt;"):
            inlined = inlined.replace(parked, tag)
    return inlined, html


def compile_isolated(document: str) -> tuple[str, str]:
    """`compile_mjml` in a forked child with CPU, memory and time limits.

    Raises ValueError (MRML's own, with its position) for MJML that does not compile and
    `CompileLimitError` when the child crashes or overruns. Without fork (not Linux/macOS),
    compiles in process: the `bounds` checks still apply.
    """
    if not hasattr(os, "fork"):
        return compile_mjml(document)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        _child(document, write_end)
    os.close(write_end)
    try:
        payload = _read(read_end, pid)
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    return _outcome(payload, status)


def _child(document: str, fd: int) -> None:
    code = 0
    faulthandler.disable()  # a crash here is expected and reported by the parent, not dumped
    try:
        _limit()
        payload = json.dumps(["ok", *compile_mjml(document)])
    except ValueError as error:
        payload = json.dumps(["error", str(error)])
    except BaseException as error:
        payload, code = json.dumps(["crash", f"{type(error).__name__}: {error}"]), 1
    try:
        data = payload.encode()
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os._exit(code)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS + 1))
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return
    limit = mapped + CHILD_EXTRA_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read(fd: int, pid: int) -> bytes:
    chunks, deadline = [], time.monotonic() + CHILD_WALL_SECONDS
    while True:
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            return b""
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _outcome(payload: bytes, status: int) -> tuple[str, str]:
    try:
        kind, *values = json.loads(payload or b"null") or ["", ""]
    except ValueError:
        kind, values = "", []
    if kind == "ok" and os.WIFEXITED(status):
        return values[0], values[1]
    if kind == "error":
        raise ValueError(values[0])
    raise CompileLimitError(_why(status, values))


def _why(status: int, values: list) -> str:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum in (signal.SIGXCPU, signal.SIGKILL):
            return f"compiling the MJML took more than {CHILD_CPU_SECONDS} s; simplify the markup"
        name = signal.Signals(signum).name
        return (
            f"the MJML compiler crashed ({name}) on this markup; look for very deep or "
            "very large markup"
        )
    if values and "MemoryError" in str(values[0]):
        return "compiling the MJML needed more than 100 MB; make the email smaller"
    return f"the MJML compiler failed: {values[0] if values else 'no answer'}"
