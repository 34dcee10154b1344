# SPDX-License-Identifier: MIT
# audit.yml, on the control node: one gateway's edge-check --json result
# (its registered edgecert_audit) made into a row of the fleet table, or an
# error row; then the fleet's own findings (fleet.key, fleet.cert).  What a gateway prints is not trusted: it is validated here, its
# verdict computed here from its checks (never the one it reports), and every
# string that reaches the table has its control characters replaced and is
# cut to a bounded length.  A gateway still vouches for its own identity
# (key_id, cert_sha256): see README.md, Audit.
"""edgecert_audit_rows: the fleet table's rows from each gateway's edge-check --json."""

import json
import re

from ansible.utils.unsafe_proxy import wrap_var

VERDICTS = ('ok', 'warn', 'fail', 'skip')
KEY_ID = re.compile(r'sha256:[0-9a-fA-F]{64}\Z')
SHA256 = re.compile(r'[0-9a-fA-F]{64}\Z')
# C0, DEL, C1, and the Unicode line and bidirectional controls
CONTROL = re.compile('[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]')
MAX_STR = 80        # an id, a serial, a gateway name
MAX_ERROR = 160     # an error row's reason
MAX_IDS = 20        # ids listed per verdict; the rest counted
MAX_OUTPUT = 4 << 20


def clean(value, limit=MAX_STR):
    """A string safe to print on one line of the table: no control character, bounded."""
    s = CONTROL.sub('?', str(value))
    return s if len(s) <= limit else s[:limit - 3] + '...'


def ids(checks, verdict):
    found = [clean(c['id']) for c in checks if c['verdict'] == verdict]
    if len(found) > MAX_IDS:
        found = found[:MAX_IDS] + ['... (%d more)' % (len(found) - MAX_IDS)]
    return found


def invalid(result):
    """Why RESULT (edge-check --json's output, rc 0 or 9) is not usable, or None and the document."""
    out = result.get('stdout')
    if not isinstance(out, str) or not out.strip():
        return 'edge-check printed nothing', None
    if len(out) > MAX_OUTPUT:
        return 'edge-check printed more than %d bytes' % MAX_OUTPUT, None
    try:
        doc = json.loads(out)
    except ValueError:
        return "edge-check's output is not JSON", None
    if not isinstance(doc, dict):
        return "edge-check's output is not a JSON object", None
    checks = doc.get('checks')
    if not isinstance(checks, list) or not checks:
        return "edge-check's output has no list of checks", None
    for c in checks:
        if not isinstance(c, dict) or not isinstance(c.get('id'), str) or not c['id'] \
                or not isinstance(c.get('verdict'), str) or c['verdict'] not in VERDICTS:
            return "edge-check's output has a check without a string id and a verdict ok, warn, fail or skip", None
    for name, form in (('key_id', KEY_ID), ('cert_sha256', SHA256)):
        v = doc.get(name)
        if v is not None and (not isinstance(v, str) or not form.match(v)):
            return "edge-check's output has a malformed %s" % name, None
    if doc.get('serial') is not None and not isinstance(doc['serial'], str):
        return "edge-check's output has a malformed serial", None
    return None, doc


def gateway_row(result, gateway):
    """The row of GATEWAY from its registered edge-check result (a dict, {} when it did not run)."""
    result = result if isinstance(result, dict) else {}
    rc = result.get('rc')
    row = {'gateway': clean(gateway), 'serial': '', 'rc': rc if isinstance(rc, int) else None,
           'verdict': 'error', 'reported_verdict': '', 'fail': [], 'warn': [], 'days_left': None,
           'key_id': '', 'cert_sha256': '', 'error': ''}
    if not isinstance(rc, int) or isinstance(rc, bool):
        row['error'] = 'unreachable, or edge-check did not run'
    elif rc not in (0, 9):
        err = result.get('stderr') if isinstance(result.get('stderr'), str) else ''
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        msg = result.get('msg') if isinstance(result.get('msg'), str) else ''
        row['error'] = clean(lines[0] if lines else msg or 'exit %d' % rc, MAX_ERROR)
    else:
        why, doc = invalid(result)
        if why:
            row['error'] = why
        else:
            checks = doc['checks']
            seen = {c['verdict'] for c in checks}
            verdict = next((v for v in ('fail', 'warn', 'ok') if v in seen), 'skip')
            expiry = [c for c in checks if c['id'] == 'cert.expiry' and isinstance(c.get('data'), dict)]
            days = expiry[0]['data'].get('days_left') if expiry else None
            rv = doc.get('verdict')
            row.update({
                'serial': clean(doc.get('serial') or ''),
                'verdict': verdict,
                'reported_verdict': clean(rv) if isinstance(rv, str) else '',
                'fail': ids(checks, 'fail'),
                'warn': ids(checks, 'warn'),
                'days_left': days if isinstance(days, int) and not isinstance(days, bool) else None,
                'key_id': (doc.get('key_id') or '').lower(),
                'cert_sha256': (doc.get('cert_sha256') or '').lower(),
            })
    return row


def edgecert_audit_rows(hostvars, gateways):
    """The fleet's rows: each gateway's, then what only the fleet shows: the
    same key_id or cert_sha256 on two gateways fails both, each naming the
    other (fleet.key, fleet.cert).  Marked unsafe: never templated again."""
    rows = [gateway_row((hostvars[h].get('edgecert_audit') if h in hostvars else None), h) for h in gateways]
    for row in rows:
        others = [r for r in rows if r['gateway'] != row['gateway']]
        row['same_key'] = [r['gateway'] for r in others if row['key_id'] and r['key_id'] == row['key_id']]
        row['same_cert'] = [r['gateway'] for r in others if row['cert_sha256'] and r['cert_sha256'] == row['cert_sha256']]
        found = ((['fleet.key (same key as %s)' % ', '.join(row['same_key'])] if row['same_key'] else [])
                 + (['fleet.cert (same certificate as %s)' % ', '.join(row['same_cert'])] if row['same_cert'] else []))
        row['fail'] = row['fail'] + found
        if found and not row['error']:
            row['verdict'] = 'fail'
        row['failed'] = bool(row['error']) or row['rc'] != 0 or row['verdict'] == 'fail' or bool(found)
    return wrap_var(rows)


class FilterModule:
    """audit.yml's row filter."""

    def filters(self):
        return {'edgecert_audit_rows': edgecert_audit_rows}
