# OV-MOT (OVTrack, Li et al. 2023; paper Tab. 1): TAO validation with LVIS v1
# categories; LVIS rare classes are novel, common and frequent are base
# (TAODataset puts the split in metainfo; TETAMetric reports both groups).
_base_ = './tao_val.py'

ann_file = 'data/tao/annotations/tao_val_lvis_v1_classes.json'

val_dataloader = dict(dataset=dict(ann_file=ann_file))
test_dataloader = val_dataloader
val_evaluator = dict(type='TETAMetric', ann_file=ann_file, exhaustive=False)
test_evaluator = val_evaluator
