# Regenerates zlib_sizes.json: DEGEN_WRITE_ZLIB_FIXTURES=/tmp/zfix go test -run ZlibGolden ./score
# (fails until the JSON exists), then: python3 testdata/zlib_sizes.py /tmp/zfix > testdata/zlib_sizes.json
import json, sys, zlib, os
d = sys.argv[1]
files = sorted(f for f in os.listdir(d) if f.endswith('.bin'))
data = [open(os.path.join(d, f), 'rb').read() for f in files]
print(json.dumps({"zlib": zlib.ZLIB_RUNTIME_VERSION,
                  "level6": [len(zlib.compress(x, 6)) for x in data],
                  "level9": [len(zlib.compress(x, 9)) for x in data]}))
