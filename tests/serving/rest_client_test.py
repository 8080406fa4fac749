import socket
import threading

import pytest

from hwsr.serving.client_base import ServingError
from hwsr.serving.rest_client import RestClient


def test_unreachable_server_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # Closed again: nothing listens there.
    with pytest.raises(ServingError, match="cannot connect"):
        RestClient(f"http://127.0.0.1:{port}", timeout=5).status("hwsr_synthesis")


def test_a_silent_server_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        client = RestClient(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        with pytest.raises(ServingError, match=r"no answer within 0\.5 s"):
            client.predict("hwsr_synthesis", {"text": [b"a"]})
    finally:
        for conn, _ in accepted:
            conn.close()
        listener.close()
