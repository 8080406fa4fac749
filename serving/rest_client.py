"""Client for TensorFlow Serving's REST predict API (and `hwsr serve`), stdlib only."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request

import numpy as np

from hwsr.serving.client_base import PredictClient, ServingError
from hwsr.serving.json_format import RequestFormatError, decode_response, encode_request


class RestClient(PredictClient):
    """Calls ``POST /v1/models/<name>[/versions/<N>]:predict``.

    Args:
        base_url: the server's REST address (TF Serving's ``--rest_api_port``, 8501 by default).
        timeout: seconds to wait for each call.
        format: ``"inputs"`` (columnar) or ``"instances"`` (row) request format.

    Example:

    >>> client = RestClient("http://localhost:8501")
    >>> [strokes] = client.synthesize(["hello world"], bias=0.75)
    >>> client.recognize([strokes])          # [("hello world", -3.2)]
    """

    def __init__(self, base_url: str = "http://localhost:8501", timeout: float = 60.0,
                 format: str = "inputs"):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.format = format

    def _url(self, model: str, version: int | None) -> str:
        url = f"{self.base_url}/v1/models/{model}"
        return url if version is None else f"{url}/versions/{int(version)}"

    def _call(self, url: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                detail = json.loads(detail).get("error", detail)
            raise ServingError(f"{url}: HTTP {e.code}: {detail}", e.code) from None
        except TimeoutError:
            raise ServingError(f"{url}: no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise ServingError(f"{url}: no answer within {self.timeout:g} s") from None
            raise ServingError(f"{url}: cannot connect ({e.reason})") from None
        except OSError as e:
            raise ServingError(f"{url}: connection failed ({e})") from None
        try:
            return json.loads(payload)
        except json.JSONDecodeError as e:
            raise ServingError(f"{url}: the answer is not JSON ({e})") from None

    def predict(self, model: str, inputs: dict, signature_name: str | None = None,
                version: int | None = None) -> dict:
        """Named numpy inputs -> named outputs (nested lists; strings as ``str``)."""
        body = encode_request({k: np.asarray(v) for k, v in inputs.items()}, signature_name, self.format)
        url = self._url(model, version) + ":predict"
        try:
            return decode_response(self._call(url, body))
        except RequestFormatError as e:
            raise ServingError(f"{url}: {e}") from None

    def status(self, model: str, version: int | None = None) -> dict:
        """``GET /v1/models/<name>``: the ``model_version_status`` answer."""
        return self._call(self._url(model, version))

    def metadata(self, model: str, version: int | None = None) -> dict:
        """``GET /v1/models/<name>/metadata``: the signatures."""
        return self._call(self._url(model, version) + "/metadata")
