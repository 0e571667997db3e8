# The paper's unified variant (App. D, Table 20, "ScaleTrack-unified-Detic"):
# Detic (CenterNet2, Swin-B, LVIS + ImageNet-21k) with the adapter on its
# frozen backbone's stages, as MASA's unified_backbone: Swin-B stages 1-3
# (out_indices (1, 2, 3): 256, 512, 1024 channels at strides 8, 16, 32) plus
# the adapter's extra stride-64 level (ScaleTrack-R50's four strides).
# Detic lives in mmdetection's projects/Detic_new, which the mmdet wheel does
# not ship: this config builds only with MMDET_ROOT set to an mmdetection 3.3
# source tree that is also on PYTHONPATH, and with Detic's metadata files
# (data/metadata/lvis_v1_clip_a+cname.npy, lvis_v1_train_cat_info.json; see
# projects/Detic_new/README.md) present:
#   MMDET_ROOT=/path/to/mmdetection PYTHONPATH=$MMDET_ROOT:$PYTHONPATH \
#   python tools/test.py \
#     configs/scaletrack/unified/scaletrack_unified_detic-swin-b_tao.py CKPT
_base_ = ['./_unified_tao_test.py']
import mmengine  # noqa: E402

custom_imports = dict(
    imports=['projects.Detic_new.detic', 'scaletrack'],
    allow_failed_imports=False)
detector = mmengine.Config.fromfile(
    '{{$MMDET_ROOT:mmdetection}}/projects/Detic_new/configs/'
    'detic_centernet2_swin-b_fpn_4x_lvis_in21k-lvis.py').model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
detector.update(_scope_='mmdet')  # built from mmdet's registry
model = dict(
    detector=detector,
    feature_source='detector_backbone',
    feature_levels=None,  # all of out_indices (1, 2, 3)
    neck=dict(in_channels=[256, 512, 1024], num_extra_levels=1))
# Detic labels LVIS v1's 1203 classes, TAO's own label space: no mapping
val_dataloader = dict(dataset=dict(class_list='lvis_v1', class_synsets=None))
test_dataloader = val_dataloader
