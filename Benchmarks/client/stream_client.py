"""Streaming latency, the official Python client's side: prints each output token as it arrives.

usage: REPLICATE_BASE_URL=… REPLICATE_API_TOKEN=x python3 stream_client.py
"""
import sys

import replicate

for event in replicate.stream("bench/stream", input={}):
    if event.event.value == "output":  # an Enum in replicate 1.0.7
        sys.stdout.write(event.data + "\n")
        sys.stdout.flush()
