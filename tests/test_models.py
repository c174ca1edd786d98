"""Model download against a real HTTP server on 127.0.0.1, and clear errors for bad models."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import time
import zipfile

import pytest

from tests.conftest import cli
from voiceguide.models import Limits, ModelError, download, find_model
from voiceguide.recognizers import (
    RecognizerError,
    VoskRecognizer,
    check_model_dir,
    said_after_guide,
    vosk_grammar,
    vosk_reading,
)


def model_zip(entries: dict[str, bytes] | None = None) -> bytes:
    entries = entries or {"m/am/final.mdl": b"am", "m/conf/model.conf": b"conf", "m/graph/HCLr.fst": b"g"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


class Server:
    """Serves byte strings by path, honouring Range; ``cut`` truncates the next response."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.cut: int | None = None
        self.trickle: float | None = None  # seconds between single bytes: a server that has nearly stopped
        self.ranges: list[str | None] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                server.ranges.append(self.headers.get("Range"))
                start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
                body = data[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut is not None:
                    body, server.cut = body[:server.cut], None
                if server.trickle is not None:
                    for i in range(len(body)):
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(server.trickle)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_good_download_installs_atomically(server, tmp_path):
    data = model_zip()
    server.files["/m.zip"] = data
    path = download(server.url("/m.zip"), sha(data), tmp_path, "m", len(data), progress=False)
    assert path == tmp_path / "m"
    check_model_dir(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temp files left behind
    assert find_model(str(path)) == path


def test_wrong_hash_installs_nothing_and_says_both_hashes(server, tmp_path):
    data = model_zip()
    server.files["/m.zip"] = data
    with pytest.raises(ModelError) as caught:
        download(server.url("/m.zip"), "0" * 64, tmp_path, "m", progress=False)
    assert f"expected {'0' * 64}, got {sha(data)}" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_path_escaping_entry_is_refused(server, tmp_path):
    data = model_zip({"m/am/final.mdl": b"x", "../evil.txt": b"owned"})
    server.files["/m.zip"] = data
    with pytest.raises(ModelError, match="would be written outside the model folder"):
        download(server.url("/m.zip"), sha(data), tmp_path / "models", "m", progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "models" / "m").exists()


def test_truncated_download_resumes_from_where_it_stopped(server, tmp_path):
    data = model_zip({"m/am/final.mdl": bytes(range(256)) * 400, "m/conf/model.conf": b"c", "m/graph/x": b"g"})
    server.files["/m.zip"] = data
    server.cut = 5000
    with pytest.raises(ModelError, match="run the same command again to resume"):
        download(server.url("/m.zip"), sha(data), tmp_path, "m", len(data), progress=False)
    assert (tmp_path / ".m.zip.part").stat().st_size == 5000
    path = download(server.url("/m.zip"), sha(data), tmp_path, "m", len(data), progress=False)
    assert server.ranges == [None, "bytes=5000-"]
    check_model_dir(path)


def test_model_download_cli_with_url(server, tmp_path):
    data = model_zip()
    server.files["/mirror/m.zip"] = data
    ok = cli("model", "download", "--url", server.url("/mirror/m.zip"), "--sha256", sha(data), "--dir", str(tmp_path),
             "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "m" / "am" / "final.mdl").exists()
    bad = cli("model", "download", "--url", server.url("/mirror/m.zip"), "--sha256", "ab" * 32, "--dir",
              str(tmp_path / "other"), "--quiet")
    assert bad.returncode == 2 and "SHA-256 expected" in bad.stderr and "Traceback" not in bad.stderr


def test_missing_and_corrupt_models_are_one_sentence_with_the_fix(tmp_path):
    with pytest.raises(RecognizerError, match=r"no Vosk model at .* Install one with: voiceguide model download"):
        check_model_dir(tmp_path / "none")
    (tmp_path / "half" / "am").mkdir(parents=True)
    with pytest.raises(RecognizerError, match="incomplete"):
        check_model_dir(tmp_path / "half")
    corrupt = tmp_path / "corrupt"
    for part, data in (("am/final.mdl", b"garbage"), ("conf/model.conf", b""), ("graph/HCLr.fst", b"x")):
        (corrupt / part).parent.mkdir(parents=True, exist_ok=True)
        (corrupt / part).write_bytes(data)
    with pytest.raises(RecognizerError, match=r"could not be loaded .* voiceguide model download"):
        VoskRecognizer(corrupt, ["ready"], 16000)  # the real vosk library, refusing a corrupt model
    result = cli("simulate", "shotgun", "--audio", "x.wav", "--engine", "vosk", "--model", str(corrupt))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_a_vosk_reading_is_alone_only_when_its_garbage_word_took_none_of_the_utterance():
    phrases, clauses = {"next", "it hurts"}, {"say ready when the belt is on"}
    assert vosk_reading("next", phrases, clauses) == ("next", True)
    assert vosk_reading("[unk] next [unk]", phrases, clauses) == ("next", False)  # someone's sentence around it
    assert vosk_reading("say ready when the belt is on it hurts", phrases, clauses) == ("it hurts", True)
    assert vosk_reading("[unk]", phrases, clauses) == ("", False)


def test_vosk_grammar_always_keeps_unk():
    import json

    assert json.loads(vosk_grammar(["ready", "it hurts", "ready"])) == ["it hurts", "ready", "[unk]"]


@pytest.mark.skipif(not __import__("os").environ.get("VOICEGUIDE_MODEL"),
                    reason="set VOICEGUIDE_MODEL to a real Vosk model folder to run the Vosk end-to-end test")
@pytest.mark.audio
def test_vosk_end_to_end_with_a_real_model(tmp_path):
    from voiceguide.corpus import session_audio

    wav = session_audio([(1.0, "ready"), (4.0, "it hurts")], "flite:rms", tmp_path, "s")
    result = cli("simulate", "shotgun", "--audio", str(wav), "--engine", "vosk", "--json")
    assert result.returncode == 0 and '"reason": "pain"' in result.stdout.splitlines()[-1]


def test_model_with_no_action_lists_the_known_and_installed_models():
    result = cli("model")
    assert result.returncode == 0 and result.stdout == cli("model", "list").stdout
    assert "[default]" in result.stdout and result.stdout.splitlines()[-1].startswith("installed: ")


def test_model_path_lists_where_the_guide_looks(tmp_path):
    out = cli("model", "path", "--model", str(tmp_path)).stdout.splitlines()
    assert "in order" in out[0] and out[1] == f"1. {tmp_path}: no model" and out[2] == "2. models: no model"


def test_a_refused_archive_leaves_nothing_and_a_retry_works_once_the_server_is_fixed(server, tmp_path):
    bad = model_zip({"m/am/final.mdl": b"x", "../evil.txt": b"owned"})
    server.files["/m.zip"] = bad
    with pytest.raises(ModelError, match="outside the model folder"):
        download(server.url("/m.zip"), sha(bad), tmp_path, "m", progress=False)
    assert list(tmp_path.iterdir()) == []  # no hidden .part to resume from
    good = model_zip()
    server.files["/m.zip"] = good
    assert download(server.url("/m.zip"), sha(good), tmp_path, "m", progress=False) == tmp_path / "m"
    assert server.ranges == [None, None]


def test_a_server_that_trickles_is_given_up_on_resumably(server, tmp_path):
    data = model_zip()
    server.files["/m.zip"] = data
    server.trickle = 0.2
    with pytest.raises(ModelError, match=r"nearly stopped.*run the same command again to resume"):
        download(server.url("/m.zip"), sha(data), tmp_path, "m", progress=False,
                 limits=Limits(stall_seconds=1.0, min_bytes=1000))
    assert 0 < (tmp_path / ".m.zip.part").stat().st_size < len(data)


def test_an_archive_that_unpacks_too_large_is_refused(server, tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("m/am/final.mdl", bytes(5_000_000))  # 5 MB of zeros: a few kB packed
        z.writestr("m/conf/model.conf", b"c")
    data = bomb.getvalue()
    server.files["/m.zip"] = data
    with pytest.raises(ModelError, match="unpacks to more than"):
        download(server.url("/m.zip"), sha(data), tmp_path, "m", len(data), progress=False)  # cap: 4x its size
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("url", "checksum", "message"), [
    ("not a url", "ab" * 32, "is not an http or https URL"),
    ("ftp://127.0.0.1/m.zip", "ab" * 32, "is not an http or https URL"),
    (None, "xyz", "is not a SHA-256 checksum"),
])
def test_url_and_checksum_are_checked_before_any_network_use(server, tmp_path, url, checksum, message):
    server.files["/m.zip"] = model_zip()
    result = cli("model", "download", "--url", url or server.url("/m.zip"), "--sha256", checksum, "--dir",
                 str(tmp_path), "--quiet")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert server.ranges == []


def test_a_hypothesis_is_read_as_the_users_phrase_after_any_of_the_guides_own_clauses():
    """Both engines read what they heard over the guide's voice this way: its own clauses, then perhaps a
    phrase of the user's."""
    phrases, clauses = {"it hurts", "belt is on", "ready"}, {"say ready when the belt is on", "lie on your back"}
    assert said_after_guide("it hurts", phrases, clauses) == "it hurts"
    assert said_after_guide("lie on your back it hurts", phrases, clauses) == "it hurts"
    assert said_after_guide("lie on your back lie on your back ready", phrases, clauses) == "ready"
    assert said_after_guide("say ready when the belt is on", phrases, clauses) == ""  # a clause that ends in a phrase
    assert said_after_guide("say ready when the it hurts", phrases, clauses) == ""  # no clause before the phrase
    assert said_after_guide("lie on your back", phrases, clauses) == ""
