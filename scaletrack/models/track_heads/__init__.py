"""ScaleTrack's decoder head and its parts (Sec. 3.4.2, Eq. 4-9).

The sampling they share (point sampling, box cross attention, RoIAlign
cells) lives in ``scaletrack.models.layers``; the temporal buffer itself
(state kept by the caller) with the MOT model:
``scaletrack.models.mot.temporal_buffer``.
"""
from .embed_decoder_layer import ScaleTrackDecoderLayer
from .proposal_modulation import ProposalModulation
from .scaletrack_embed_head import ScaleTrackEmbedHead
from .spatial_attention_pooling import SpatialAttentionPooling
from .temporal_deformable_fusion import TemporalDeformableFusion

__all__ = [
    'ScaleTrackEmbedHead', 'ScaleTrackDecoderLayer', 'SpatialAttentionPooling',
    'TemporalDeformableFusion', 'ProposalModulation'
]
