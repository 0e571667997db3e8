"""Plain-text tables of TETA and MOT results (CLIs and metric logs)."""
from typing import Dict, List, Sequence

from .teta import TETA_KEYS

__all__ = [
    'format_table', 'teta_table', 'mot_table', 'bdd100k_table',
    'MOT_TABLE_KEYS'
]

#: Columns of the MOT table: HOTA family, CLEAR, Identity.
MOT_TABLE_KEYS = ('HOTA', 'DetA', 'AssA', 'MOTA', 'MOTP', 'IDF1', 'IDP', 'IDR',
                  'IDSW', 'MT', 'ML', 'Frag', 'CLR_FP', 'CLR_FN')


def _cell(v) -> str:
    if isinstance(v, int):
        return str(v)
    if v is None or v != v:
        return '-'
    return f'{v:.3f}' if abs(v) <= 1.0 else f'{v:.2f}'


def format_table(rows: List[Sequence], header: Sequence[str]) -> str:
    """Left-aligned columns separated by two spaces."""
    cells = [list(map(str, header))
             ] + [[str(r[0])] + [_cell(v) for v in r[1:]] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return '\n'.join('  '.join(c.ljust(w) for c, w in zip(row, widths))
                     for row in cells)


def teta_table(out: Dict, per_class: bool = False) -> str:
    """TETA figures (percent): overall, base/novel, optionally classes."""
    rows = [['all'] + [out[k] for k in TETA_KEYS]]
    for group in ('base', 'novel'):
        if group in out:
            rows.append([group] + [out[group][k] for k in TETA_KEYS])
    if per_class:
        rows += [[name] + [v[k] for k in TETA_KEYS]
                 for name, v in out.get('per_class', {}).items()]
    return format_table(rows, ['TETA50'] + list(TETA_KEYS))


def mot_table(out: Dict) -> str:
    """MOT figures (fractions, counts) per class, combined, class mean."""
    keys = [k for k in MOT_TABLE_KEYS if k in out.get('combined', {})]
    rows = [[name] + [v.get(k) for k in keys]
            for name, v in out['per_class'].items()]
    rows.append(['COMBINED'] + [out['combined'].get(k) for k in keys])
    if out.get('class_averaged'):
        rows.append(['CLASS MEAN'] +
                    [out['class_averaged'].get(k) for k in keys])
    return format_table(rows, ['class'] + keys)


def bdd100k_table(out: Dict) -> str:
    """BDD100K MOT rows (scalabel's table: classes, super-categories,
    AVERAGE, OVERALL) and the summary line."""
    keys = ['MOTA', 'MOTP', 'IDF1', 'FP', 'FN', 'IDSw', 'MT', 'PT', 'ML', 'FM']
    if any('HOTA' in r for r in out['rows'].values()):
        keys.append('HOTA')
    rows = [[name] + [r.get(k) for k in keys]
            for name, r in out['rows'].items()]
    lines = [format_table(rows, ['class'] + keys), '']
    summary = [
        f'{k} {out[k]:.2f}'
        for k in ('mMOTA', 'mIDF1', 'mMOTP', 'MOTA', 'IDF1', 'mHOTA', 'HOTA')
        if k in out
    ]
    if 'TETA' in out:
        summary += [f'{k} {out["TETA"][k]:.2f}' for k in TETA_KEYS[:4]]
    lines.append('  '.join(summary))
    return '\n'.join(lines)
