"""A real HTTP server on 127.0.0.1 for tests of code that fetches from elsewhere (the PSF
sponsor feed and the logos it points at): each test says what each path answers, including
the ways a server goes wrong (an error status, a pause before answering, a body dribbled a
byte at a time, a Content-Length larger than what it sends before it closes), and reads back
which requests arrived, with their headers.

``feed_server`` starts one for the test and stops it afterwards.
"""

import dataclasses
import http.server
import threading
from collections.abc import Iterator

import pytest


@dataclasses.dataclass(frozen=True)
class Answer:
    body: bytes
    status: int = 200
    content_type: str = "application/json"
    # Seconds to wait before sending anything.
    pause: float = 0.0
    # Seconds between bytes of the body, sent one at a time.
    dribble: float = 0.0
    # The Content-Length to announce, when it should not be the body's (a lie).
    announced_length: int | None = None


@dataclasses.dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.received: list[Received] = []
        self.stopping = threading.Event()
        self._guard = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll, so that stopping it at the end of each test is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Handlers pausing or dribbling give up at once instead of outliving the test.
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def serve(self, path: str, body: bytes, **options: object) -> str:
        """Answer GET ``path`` with ``body`` (see ``Answer`` for the options); its URL."""
        self.answers[path] = Answer(body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def requests_for(self, path: str) -> list[Received]:
        with self._guard:
            return [received for received in self.received if received.path == path]

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._guard:
                    server.received.append(Received(self.path, dict(self.headers.items())))
                answer = server.answers.get(self.path)
                if answer is None:
                    answer = Answer(b"Not found", status=404, content_type="text/plain")
                if answer.pause and server.stopping.wait(answer.pause):
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                length = answer.announced_length
                self.send_header(
                    "Content-Length", str(len(answer.body) if length is None else length)
                )
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if not answer.dribble:
                        self.wfile.write(answer.body)
                        return
                    for index in range(len(answer.body)):
                        self.wfile.write(answer.body[index : index + 1])
                        self.wfile.flush()
                        if server.stopping.wait(answer.dribble):
                            return
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up, as it should on a server this slow.
                    return

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
