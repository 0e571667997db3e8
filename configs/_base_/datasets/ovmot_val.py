# OV-MOT (OVTrack, Li et al. 2023; paper Tab. 1): TAO validation with LVIS v1
# categories; LVIS rare classes are novel, common and frequent are base
# (TAODataset puts the split in metainfo; TETAMetric reports both groups).
# Same files, class list and Detic detections as tao_val.py (MASA evaluates
# OV-MOT with tao_dataset_v1.py and TaoTETAMetric(open_vocabulary=True)).
_base_ = './tao_val.py'
