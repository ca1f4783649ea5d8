"""Interop check: the official Python client (replicate==1.0.7) against the simulator.

Run by InteropTests.swift with REPLICATE_BASE_URL=http://127.0.0.1:PORT (the client appends
/v1) and REPLICATE_API_TOKEN set. Prints one line per step and exits non-zero on failure.
"""
import io
import os
import sys
import time

import replicate
from replicate.exceptions import ReplicateError

HELLO = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
HELLO_VERSION = HELLO.split(":")[1]

client = replicate.Client(api_token=os.environ["REPLICATE_API_TOKEN"], base_url=os.environ["REPLICATE_BASE_URL"])
deadline = time.time() + 120


def step(name):
    if time.time() > deadline:
        raise SystemExit("interop: out of time")
    print("step:", name, flush=True)


step("run hello-world by version")
out = client.run(HELLO, input={"text": "Alice"})
assert out == "hello Alice", repr(out)

step("get a model")
model = client.models.get("replicate/hello-world")
assert model.owner == "replicate" and model.name == "hello-world", model
assert model.latest_version.id == HELLO_VERSION, model.latest_version

step("create and wait for a prediction")
prediction = client.predictions.create(version=HELLO_VERSION, input={"text": "Bob"})
assert prediction.status in ("starting", "processing", "succeeded"), prediction.status
prediction.wait()
assert prediction.status == "succeeded", prediction.status
assert prediction.output == "hello Bob", prediction.output
assert prediction.metrics and "predict_time" in prediction.metrics, prediction.metrics

step("stream the text model")
tokens = []
for event in client.stream("meta/meta-llama-3-8b-instruct", input={"prompt": "llamas", "max_tokens": 10}):
    if event.event.value == "output":
        tokens.append(str(event))
assert len(tokens) == 10, tokens
assert "".join(tokens).strip(), tokens

step("walk pages with paginate")
for i in range(5):
    client.predictions.create(version=HELLO_VERSION, input={"text": f"page {i}"})
seen = []
pages = 0
for page in replicate.paginate(client.predictions.list):
    pages += 1
    seen.extend(p.id for p in page)
    if pages > 50:
        raise SystemExit("interop: too many pages")
assert pages >= 3, pages  # the test runs the simulator with a page size of 3
assert len(seen) == len(set(seen)) >= 7, seen

step("upload, list and delete a file")
f = client.files.create(io.BytesIO(b"hello from python"), filename="hello.txt", content_type="text/plain")
assert f.size == len(b"hello from python"), f
assert any(x.id == f.id for x in client.files.list()), "uploaded file not listed"
assert client.files.delete(f.id)
try:
    client.files.get(f.id)
    raise SystemExit("interop: deleted file still there")
except ReplicateError as e:
    assert e.status == 404, e

step("create and cancel a training")
client.models.create(owner="sim", name="py-tuned", visibility="private", hardware="cpu")
trainable = client.models.get("sim/trainable").latest_version.id
training = client.trainings.create(
    model="sim/trainable", version=trainable, input={"steps": 1000}, destination="sim/py-tuned")
assert training.status in ("starting", "processing"), training.status
client.trainings.cancel(training.id)
training.reload()
assert training.status == "canceled", training.status

step("create, update and delete a deployment")
dep = client.deployments.create(
    name="py-dep", model="replicate/hello-world", version=HELLO_VERSION, hardware="cpu", min_instances=0, max_instances=1)
assert dep.current_release.number == 1, dep
dep = client.deployments.update("sim", "py-dep", max_instances=3)
assert dep.current_release.number == 2, dep
assert dep.current_release.configuration.max_instances == 3, dep
assert client.deployments.delete("sim", "py-dep")

step("invalid token is refused")
bad = replicate.Client(api_token="wrong-token", base_url=os.environ["REPLICATE_BASE_URL"])
if os.environ.get("SIM_STRICT_TOKEN"):
    try:
        bad.models.get("replicate/hello-world")
        raise SystemExit("interop: bad token accepted")
    except ReplicateError as e:
        assert e.status == 401, e

print("interop: ok", flush=True)
