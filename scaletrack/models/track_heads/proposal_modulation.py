"""Proposal attention modulation with head-specific gates (Sec. 3.4.2, Eq. 8).

``f_modulated = 1/N_h * sum_h sigmoid(W_h f_fused) * f_fused``: every head
owns a ``D x D`` linear map (``W_h``, with bias); the N_h sigmoid gates are
averaged and multiply the embedding channel-wise.
"""
from torch import Tensor, nn

__all__ = ['ProposalModulation']


class ProposalModulation(nn.Module):
    """Eq. 8. The N_h maps ``W_h`` are one ``Linear(D, N_h * D)``.

    Args:
        embed_dims: D.
        num_heads: N_h (8, the number of attention heads of the decoder).
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.gates = nn.Linear(embed_dims, num_heads * embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """``x [N, D] -> [N, D]``."""
        gates = self.gates(x).view(-1, self.num_heads, self.embed_dims)
        return gates.sigmoid().mean(dim=1) * x
