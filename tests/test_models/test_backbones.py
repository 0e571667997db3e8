"""DINOv2Backbone: levels, input sizes, freezing, gradients of the net."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS

from scaletrack.models.backbones import DINOv2Backbone
from scaletrack.models.backbones.dinov2 import _resolve_arch

TINY = dict(embed_dims=48, num_layers=4, num_heads=2, feedforward_channels=96)


def tiny_backbone(**kwargs):
    cfg = dict(
        type='DINOv2Backbone', arch=TINY, img_size=56, out_indices=(1, 3))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_default_levels_and_last_level_switch():
    """DINOv2-S gives blocks (2, 5, 8, 11) by default (Table 14's multi-scale
    features); ``multi_level=False`` gives the last block only, identical to
    the last of the multi-level maps."""
    torch.manual_seed(0)
    multi = DINOv2Backbone(arch='dinov2-small')
    assert multi.out_indices == [2, 5, 8, 11]
    assert multi.out_channels == (384, ) * 4 and multi.strides == (14, ) * 4
    single = DINOv2Backbone(arch='dinov2-small', multi_level=False)
    single.load_state_dict(multi.state_dict())
    img = torch.randn(1, 3, 28, 42)
    outs, last = multi(img), single(img)
    assert len(outs) == 4 and len(last) == 1
    assert all(o.shape == (1, 384, 2, 3) for o in outs)
    assert torch.allclose(last[0], outs[-1])
    # (building a 300 M-parameter ViT-L here would only cost time)
    assert _resolve_arch('l')['default_out_indices'] == (4, 11, 17, 23)
    assert _resolve_arch('dinov2-giant')['ffn_type'] == 'swiglu_fused'


def test_every_level_goes_through_the_final_norm():
    torch.manual_seed(1)
    backbone = tiny_backbone()
    raw = {}
    backbone.layers[1].register_forward_hook(
        lambda m, i, o: raw.setdefault('block1', o))
    img = torch.randn(2, 3, 56, 56)
    out = backbone(img)[0]
    tokens = backbone.ln1(raw['block1'])[:, 1:]  # drop the class token
    assert torch.allclose(out, tokens.transpose(1, 2).reshape(2, 48, 4, 4))
    plain = tiny_backbone(norm_intermediate=False)
    plain.load_state_dict(backbone.state_dict())
    unnormed = plain(img)
    assert not torch.allclose(unnormed[0], out)
    assert torch.allclose(unnormed[1], backbone(img)[1])  # last: always


def test_input_sizes_other_than_the_pretraining_size():
    """The 4x4 position embedding of a 56 px model is resized for other
    inputs; sizes that are no multiple of 14 are padded (ceil)."""
    torch.manual_seed(2)
    backbone = tiny_backbone()
    for (h, w), hw in (((70, 98), (5, 7)), ((75, 100), (6, 8)), ((56, 56),
                                                                 (4, 4))):
        outs = backbone(torch.randn(1, 3, h, w))
        assert all(o.shape == (1, 48, *hw) for o in outs)
        assert all(torch.isfinite(o).all() for o in outs)
    # the resized embedding is the bicubic interpolation of the 4x4 grid
    pos = backbone.pos_embed[:, 1:].reshape(1, 4, 4, 48).permute(0, 3, 1, 2)
    resized = backbone.resize_pos_embed(backbone.pos_embed, (4, 4), (5, 7),
                                        'bicubic', 1)
    expected = F.interpolate(
        pos, size=(5, 7), mode='bicubic', align_corners=False)
    assert torch.allclose(
        resized[:, 1:], expected.flatten(2).transpose(1, 2), atol=1e-5)


def test_frozen_backbone_stays_frozen_and_in_eval_mode():
    backbone = tiny_backbone(drop_path_rate=0.5)
    assert not any(p.requires_grad for p in backbone.parameters())
    backbone.train()
    assert not any(m.training for m in backbone.modules())
    img = torch.randn(1, 3, 56, 56)
    # eval mode: drop-path off, so repeated calls agree
    assert torch.equal(backbone(img)[0], backbone(img)[0])
    assert not backbone(img)[0].requires_grad


def test_unfrozen_backbone_trains():
    backbone = tiny_backbone(frozen=False)
    backbone.train()
    assert backbone.training
    assert all(p.requires_grad for p in backbone.parameters())
    out = backbone(torch.randn(1, 3, 56, 56))
    sum(o.sum() for o in out).backward()
    assert backbone.layers[0].attn.qkv.weight.grad is not None


def test_gradients_reach_adapter_and_head_never_the_frozen_backbone():
    """The association network of Sec. 3.4 end to end (tiny sizes)."""
    torch.manual_seed(3)
    backbone = tiny_backbone()
    neck = MODELS.build(
        dict(
            type='DeformableEncoderAdapter',
            in_channels=[48, 48],
            embed_dims=32,
            num_heads=4,
            num_points=2,
            feedforward_channels=64,
            num_groups=8))
    head = MODELS.build(
        dict(
            type='ScaleTrackEmbedHead',
            featmap_strides=(14, 14),
            embed_dims=32,
            out_channels=16,
            num_heads=4,
            num_points=2,
            feedforward_channels=64))
    for m in (backbone, neck, head):
        m.train()
    assert not backbone.training and neck.training and head.training
    feats = neck(backbone(torch.randn(2, 3, 70, 84)))
    rois = torch.tensor([[0., 5., 5., 40., 50.], [1., 20., 10., 80., 65.],
                         [1., 0., 0., 30., 30.]])
    embeds = head(feats, rois, feats[-1].unsqueeze(2))
    (embeds[0] @ embeds[-1].t()).sum().backward()
    assert all(p.grad is None and not p.requires_grad
               for p in backbone.parameters())
    for module in (neck, head):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None for g in grads)
        assert sum(float(g.abs().sum()) for g in grads) > 0


def test_bad_configs_are_rejected():
    with pytest.raises(ValueError, match='unknown arch'):
        DINOv2Backbone(arch='dinov3-tiny')
    with pytest.raises(ValueError, match='out_indices'):
        DINOv2Backbone(arch=TINY, out_indices=(1, 7))
    with pytest.raises(ValueError, match='increasing'):
        DINOv2Backbone(arch=TINY, out_indices=(3, 1))
    with pytest.raises(ValueError, match=r'\[B, 3, H, W\]'):
        tiny_backbone()(torch.zeros(3, 56, 56))


# ------------------------------------------- DINOv2 weights by URL (issue 13)
def _model_cfg(name):
    import os.path as osp

    from mmengine.config import Config
    root = osp.join(osp.dirname(__file__), '..', '..')
    return Config.fromfile(
        osp.join(root, 'configs', '_base_', 'models', name)).model


def _released_dinov2_s(path):
    """A file with the layout of mmpretrain's released DINOv2-S checkpoint:
    the state dict of mmpretrain's own model of configs/dinov2/
    vit-small-p14_dinov2-pre_headless.py (an ImageClassifier, so every key
    starts with 'backbone.'), at random weights."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    torch.manual_seed(3)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        clf = PRETRAIN_MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=dict(
                    type='VisionTransformer',
                    arch='dinov2-small',
                    img_size=518,
                    patch_size=14,
                    layer_scale_init_value=1e-5),
                neck=None,
                head=None))
    with torch.no_grad():  # every tensor away from its init value
        for p in clf.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    state = clf.state_dict()
    torch.save(
        dict(meta=dict(mmpretrain_version='1.2.0'), state_dict=state), path)
    return clf, state


def test_configs_point_at_mmpretrain_releases():
    from scaletrack.models.backbones.dinov2 import MMPRETRAIN_DINOV2_URLS
    small = _model_cfg('scaletrack_dinov2-s.py').backbone
    large = _model_cfg('scaletrack_dinov2-l.py').backbone
    assert small.init_cfg == dict(
        type='Pretrained',
        prefix='backbone.',
        checkpoint=MMPRETRAIN_DINOV2_URLS['dinov2-small'])
    assert large.arch == 'dinov2-large'
    assert large.init_cfg.prefix == 'backbone.'
    assert large.init_cfg.checkpoint == MMPRETRAIN_DINOV2_URLS['dinov2-large']
    assert small.init_cfg.checkpoint.endswith(
        'vit-small-p14_dinov2-pre_3rdparty_20230426-5641ca5a.pth')


def test_released_layout_loads_with_the_config_prefix(tmp_path):
    """mmpretrain's DINOv2-S layout loads into ScaleTrack-S's backbone with
    the config's prefix: the same keys (none missing, none unexpected), the
    same tensors, and the features of the model it came from."""
    from mmpretrain.models.backbones import VisionTransformer
    ckpt = str(tmp_path / 'vit-small-p14_dinov2-pre_3rdparty.pth')
    clf, state = _released_dinov2_s(ckpt)
    cfg = _model_cfg('scaletrack_dinov2-s.py').backbone
    cfg.init_cfg.checkpoint = ckpt
    backbone = MODELS.build(cfg)
    backbone.init_weights()
    assert all(k.startswith('backbone.') for k in state)
    ours = backbone.state_dict()
    assert set(ours) == {k[len('backbone.'):] for k in state}
    for k, v in ours.items():
        assert torch.equal(v, state['backbone.' + k]), k
    # features: mmpretrain's ViT with the same weights, stride-14 maps
    ref = VisionTransformer(
        arch='dinov2-small',
        img_size=518,
        patch_size=14,
        layer_scale_init_value=1e-5,
        out_type='featmap',
        out_indices=[2, 5, 8, 11],
        final_norm=True)
    ref.load_state_dict(clf.backbone.state_dict())
    ref.eval()
    img = torch.randn(1, 3, 70, 56)
    with torch.no_grad():
        theirs = ref(img)
    mine = backbone(img)
    assert torch.allclose(
        mine[-1], theirs[-1], atol=1e-5)  # the last: normed in both
    normed = F.layer_norm(
        theirs[0].permute(0, 2, 3, 1), (384, ),
        ref.ln1.weight,
        ref.ln1.bias,
        eps=1e-6).permute(0, 3, 1, 2)
    assert torch.allclose(mine[0], normed, atol=1e-4)


def test_offline_missing_checkpoint_says_what_to_download_and_where(
        tmp_path, monkeypatch):
    import urllib.error

    from scaletrack.models.backbones.dinov2 import url_cache_path

    def offline(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    cfg = _model_cfg('scaletrack_dinov2-s.py').backbone
    url = cfg.init_cfg.checkpoint
    cache = url_cache_path(url)
    assert cache == str(
        tmp_path / 'torch' / 'hub' / 'checkpoints' /
        'vit-small-p14_dinov2-pre_3rdparty_20230426-5641ca5a.pth')
    with pytest.raises(RuntimeError) as err:
        MODELS.build(cfg).init_weights()
    assert url in str(err.value) and cache in str(err.value)
    # put there, the file is used without any download
    clf, state = _released_dinov2_s(cache)
    backbone = MODELS.build(cfg)
    backbone.init_weights()
    assert torch.equal(backbone.pos_embed, state['backbone.pos_embed'])
    # a local path that does not exist names the release and the converter
    cfg.init_cfg = dict(
        type='Pretrained', checkpoint=str(tmp_path / 'none.pth'))
    with pytest.raises(FileNotFoundError, match='dinov2_to_mmpretrain') as err:
        MODELS.build(cfg).init_weights()
    assert url in str(err.value) and 'none.pth' in str(err.value)
