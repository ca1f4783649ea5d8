# Usage, from the package root: python3 Tests/ReplicateTests/Reference/gen_catalog.py [reference-dir] [output]
# (reference-dir defaults to ../shared/reference, output to Sources/Replicate/CatalogData.swift).
import json, csv, sys, os
ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join('..', 'shared', 'reference')
spec = json.load(open(os.path.join(ref, 'replicate-openapi.json')))
rows = list(csv.DictReader(open(os.path.join(ref, 'functions.tsv')), delimiter='\t'))
comp = spec['components']
def deref(o):
    while isinstance(o, dict) and '$ref' in o:
        parts = o['$ref'].split('/')[1:]
        t = spec
        for p in parts: t = t[p]
        o = t
    return o
def swift_str(s):
    out = []
    for ch in s:
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif ch == '\n': out.append('\\n')
        elif ch == '\t': out.append('\\t')
        elif ord(ch) < 0x20: out.append('\\u{%x}' % ord(ch))
        else: out.append(ch)
    return '"' + ''.join(out) + '"'
def typ(schema):
    schema = deref(schema or {})
    t = schema.get('type')
    if t is None:
        if 'oneOf' in schema or 'anyOf' in schema: return 'string'
        return 'object'
    if isinstance(t, list): t = [x for x in t if x != 'null'][0]
    if t == 'number': return 'number'
    return t
def desc(d):
    return (d or '').strip()
lines = []
for r in rows:
    path, method = r['path'], r['method'].lower()
    op = spec['paths'][path][method]
    assert op['operationId'] == r['operationId'], r
    params = []
    for p in op.get('parameters', []):
        p = deref(p)
        params.append((p['name'], p['in'], bool(p.get('required', p['in'] == 'path')), typ(p.get('schema')), desc(p.get('description') or deref(p.get('schema', {})).get('description'))))
    # TSV is the authority for requiredness and order check
    tsv_params = [x for x in r['parameters'].split(' ') if x]
    tsv_names = [x.split(':',1)[1].rstrip('*') for x in tsv_params]
    assert tsv_names == [p[0] for p in params], (r['lua_name'], tsv_names, params)
    for x, p in zip(tsv_params, params):
        assert x.endswith('*') == p[2], (r['lua_name'], x, p)
    body = None
    rb = op.get('requestBody')
    if rb:
        rb = deref(rb)
        ctype, content = next(iter(rb['content'].items()))
        schema = deref(content.get('schema', {}))
        fields = []
        if ctype == 'text/plain':
            fields.append(('query', 'body', True, 'string', desc(schema.get('description') or 'The search query.')))
        else:
            req = set(schema.get('required', []))
            for name, ps in schema.get('properties', {}).items():
                ps2 = deref(ps)
                fields.append((name, 'body', name in req, typ(ps2), desc(ps2.get('description'))))
        tsv_ct, _, tsv_fields = r['body'].partition(': ')
        assert tsv_ct == ctype, (r['lua_name'], tsv_ct, ctype)
        if ctype != 'text/plain':
            tf = [x.strip() for x in tsv_fields.split(',')]
            assert sorted(x.rstrip('*') for x in tf) == sorted(f[0] for f in fields), (r['lua_name'], tf, fields)
            for x in tf:
                f = [f for f in fields if f[0] == x.rstrip('*')][0]
                assert x.endswith('*') == f[2], (r['lua_name'], x, f)
        body = (ctype, fields)
    lines.append((r, op, params, body))

def pspec(p):
    name, loc, req, t, d = p
    return 'ParameterSpec(name: %s, location: .%s, required: %s, type: %s, description: %s)' % (swift_str(name), loc, 'true' if req else 'false', swift_str(t), swift_str(d))
out = []
out.append('// Generated once from shared/reference/functions.tsv and replicate-openapi.json (sha256 4500bf86…)')
out.append('// by Tests/ReplicateTests/Reference/gen_catalog.py, which cross-checks the two sources (names, order,')
out.append('// requiredness, body content types). Regenerate rather than edit; CatalogTests re-checks it')
out.append('// against functions.tsv.')
out.append('')
out.append('extension Catalog {')
out.append('    static let generatedOperations: [OperationSpec] = [')
for r, op, params, body in lines:
    out.append('        OperationSpec(')
    out.append('            name: %s, alias: %s, access: .%s, method: %s,' % (swift_str(r['lua_name']), swift_str(r['seed_alias']), r['access'], swift_str(r['method'])))
    out.append('            path: %s, operationId: %s,' % (swift_str(r['path']), swift_str(r['operationId'])))
    out.append('            summary: %s,' % swift_str(op.get('summary', '')))
    if params:
        out.append('            parameters: [')
        for p in params: out.append('                ' + pspec(p) + ',')
        out.append('            ],')
    else:
        out.append('            parameters: [],')
    if body:
        out.append('            body: BodySpec(contentType: %s, fields: [' % swift_str(body[0]))
        for f in body[1]: out.append('                ' + pspec(f) + ',')
        out.append('            ]),')
    else:
        out.append('            body: nil,')
    out.append('            paginated: %s' % ('true' if r['paginated'] == 'yes' else 'false'))
    out.append('        ),')
out.append('    ]')
out.append('}')
open(sys.argv[2] if len(sys.argv) > 2 else 'Sources/Replicate/CatalogData.swift','w').write('\n'.join(out) + '\n')
print(len(lines))
