# mmdet's OC-SORT (motion only, its defaults) evaluated on the synthetic
# MOTChallenge-rate videos (mot_val, 6 fps) instead of the TAO-style ones.
_base_ = [
    '../../../baselines/ocsort_public-dets_synthetic.py',
    '../_base_/synthetic_mot_val.py'
]
test_dataloader = {{_base_.mot_val_test_dataloader}}
test_evaluator = {{_base_.mot_val_test_evaluator}}
