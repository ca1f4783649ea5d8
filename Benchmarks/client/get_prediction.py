"""1,000 sequential predictions.get calls with the official client (Benchmarks/run.sh).

usage: REPLICATE_BASE_URL=http://127.0.0.1:PORT REPLICATE_API_TOKEN=x python3 get_prediction.py ID N
"""
import sys

import replicate

prediction_id, n = sys.argv[1], int(sys.argv[2])
for _ in range(n):
    p = replicate.predictions.get(prediction_id)
    if p.id != prediction_id:
        raise SystemExit(f"got prediction {p.id}")
print(n)
