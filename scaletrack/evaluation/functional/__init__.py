"""Metric computations that need no model or runner: TETA (own,
vectorised), HOTA/CLEAR/Identity (trackeval), TAO and MOTChallenge I/O."""
from ...utils.file_io import (dump_json_atomic, load_json_file,
                              write_text_atomic)
from .mot_metrics import IGNORE_RULES, MOT_METRICS, MOTSequence, evaluate_mot
from .motchallenge_io import (MOTCHALLENGE_CLASSES, MOTCHALLENGE_DISTRACTORS,
                              format_motchallenge_results,
                              list_motchallenge_seqs,
                              load_motchallenge_sequence,
                              write_motchallenge_results)
from .scalabel_format import tao_results_to_scalabel, write_scalabel_results
from .tables import mot_table, teta_table
from .tao_format import (majority_vote_categories, parse_tao_ground_truth,
                         prepare_tao_results)
from .teta import TETA_KEYS, evaluate_teta

__all__ = [
    'evaluate_teta', 'TETA_KEYS', 'parse_tao_ground_truth',
    'prepare_tao_results', 'majority_vote_categories', 'evaluate_mot',
    'MOTSequence', 'MOT_METRICS', 'IGNORE_RULES', 'MOTCHALLENGE_CLASSES',
    'MOTCHALLENGE_DISTRACTORS', 'load_motchallenge_sequence',
    'list_motchallenge_seqs', 'format_motchallenge_results',
    'write_motchallenge_results', 'load_json_file', 'dump_json_atomic',
    'write_text_atomic', 'teta_table', 'mot_table', 'tao_results_to_scalabel',
    'write_scalabel_results'
]
