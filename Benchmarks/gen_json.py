"""Writes a deterministic ~2 MB JSON document shaped like a page of Replicate predictions.

usage: python3 gen_json.py OUT_PATH [TARGET_BYTES]

Same bytes on every run (seeded PRNG, no clock). The mix is what decoders meet in practice:
nested objects and arrays, ints and floats, nulls in objects and in arrays, strings with
escapes (quotes, backslashes, newlines, tabs, ANSI colour codes as \\u001b), raw UTF-8
(accents, CJK, emoji) and, in every other record, the same text as \\uXXXX escapes with
surrogate pairs (what `ensure_ascii` encoders such as Python's default produce).
"""
import json
import random
import sys

WORDS = ("a photo of an astronaut riding a horse on the moon, cinematic lighting, 8k, "
         "portrait of a cat wearing a tiny hat watercolor style trending on artstation "
         "ultra detailed sunset over mountains with \"dramatic\" clouds and C:\\path\\to\\style").split()
UNICODE = ["café", "naïve", "Zürich", "東京の夜景", "北京", "Ελληνικά", "русский текст", "🚀", "🎨🖌️",
           "👩‍🚀", "½ × ¾ ≈ 0.375", "emoji 😀 in text", "Ünïcödé"]
STATUSES = ["succeeded", "succeeded", "succeeded", "failed", "canceled", "processing", "starting"]
MODELS = ["black-forest-labs/flux-schnell", "stability-ai/sdxl", "meta/meta-llama-3-70b-instruct",
          "replicate/hello-world", "openai/whisper", "bytedance/sdxl-lightning-4step"]


def ident(rng: random.Random, n: int = 26) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def prompt(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) for _ in range(rng.randint(6, 30))]
    for _ in range(rng.randint(0, 3)):
        parts.insert(rng.randint(0, len(parts)), rng.choice(UNICODE))
    return " ".join(parts)


def logs(rng: random.Random) -> str:
    lines = []
    for step in range(rng.randint(2, 12)):
        pct = (step + 1) * 100 // 12
        lines.append(f"\u001b[32m{pct:3d}%|{'█' * (pct // 10)}{' ' * (10 - pct // 10)}| {step + 1}/12 "
                     f"[00:0{step % 10}<00:01, {rng.uniform(1, 30):.2f}it/s]\u001b[0m")
    lines.append("Using seed: %d\tguidance=%.1f" % (rng.randint(0, 2**32), rng.uniform(1, 12)))
    return "\n".join(lines)


def timestamp(rng: random.Random) -> str:
    return "2026-%02d-%02dT%02d:%02d:%02d.%06dZ" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                                  rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999999))


def record(rng: random.Random, i: int) -> dict:
    pid = ident(rng)
    status = rng.choice(STATUSES)
    outputs = rng.randint(0, 4)
    rec = {
        "id": pid,
        "model": rng.choice(MODELS),
        "version": ident(rng, 64),
        "status": status,
        "source": rng.choice(["api", "web"]),
        "created_at": timestamp(rng),
        "started_at": timestamp(rng),
        "completed_at": timestamp(rng) if status in ("succeeded", "failed", "canceled") else None,
        "data_removed": rng.random() < 0.1,
        "input": {
            "prompt": prompt(rng),
            "negative_prompt": prompt(rng) if rng.random() < 0.5 else "",
            "num_outputs": outputs,
            "num_inference_steps": rng.randint(1, 50),
            "guidance_scale": round(rng.uniform(0, 15), 2),
            "seed": rng.randint(0, 2**53),
            "aspect_ratio": rng.choice(["1:1", "16:9", "9:16", "3:2"]),
            "output_quality": rng.randint(50, 100),
            "lora_scale": rng.uniform(-1, 1),
            "extra_lora": None,
        },
        "output": [f"https://replicate.delivery/xezq/{ident(rng, 40)}/out-{k}.webp" for k in range(outputs)]
                  if status == "succeeded" else None,
        "error": "CUDA out of memory. Tried to allocate 2.00 GiB" if status == "failed" else None,
        "logs": logs(rng),
        "metrics": {
            "predict_time": round(rng.uniform(0.1, 120), 6),
            "total_time": rng.uniform(0.1, 200),
            "image_count": outputs,
            "input_token_count": rng.randint(0, 4000),
            "tokens_per_second": rng.uniform(1, 200) if rng.random() < 0.5 else None,
        },
        "urls": {
            "get": f"https://api.replicate.com/v1/predictions/{pid}",
            "cancel": f"https://api.replicate.com/v1/predictions/{pid}/cancel",
            "stream": f"https://stream.replicate.com/v1/files/{ident(rng, 52)}",
            "web": f"https://replicate.com/p/{pid}",
        },
        "scores": [rng.choice([None, round(rng.uniform(0, 1), 4), rng.randint(-5, 5)]) for _ in range(rng.randint(0, 8))],
        "tags": [],
        "index": i,
    }
    return rec


def main() -> None:
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 2 * 1024 * 1024
    rng = random.Random(20261122)
    parts, size, i = [], 0, 0
    while size < target:
        # Alternate raw UTF-8 and \uXXXX-escaped records so both paths of a decoder are exercised.
        text = json.dumps(record(rng, i), ensure_ascii=(i % 2 == 1))
        parts.append(text)
        size += len(text.encode("utf-8")) + 2
        i += 1
    doc = '{"next": "https://api.replicate.com/v1/predictions?cursor=cD0yMDI2", "previous": null, "results": [\n'
    doc += ",\n".join(parts) + "\n]}\n"
    with open(out, "w", encoding="utf-8") as f:
        f.write(doc)
    print(json.dumps({"path": out, "bytes": len(doc.encode("utf-8")), "records": i}))


if __name__ == "__main__":
    main()
