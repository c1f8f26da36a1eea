//! Where each weight lives in the flat parameter vector.

use serde::{Deserialize, Serialize};

/// Shape of a network and the GMIN/OPTIM parameter order: `W_ih` row by row (hidden unit `j`'s
/// `n_in` weights together), then `W_ho` row by row (output `i`'s `n_h` weights together),
/// then the hidden biases `b_h`, then the output biases `b_o`.
///
/// Keeping this order lets coordinate files be exchanged with GMIN and OPTIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Layout {
    /// Inputs.
    pub n_in: usize,
    /// Hidden (tanh) units.
    pub n_h: usize,
    /// Outputs (classes).
    pub n_out: usize,
}

impl Layout {
    /// Number of parameters: `n_h*n_in + n_out*n_h + n_h + n_out`.
    #[inline]
    pub fn dim(&self) -> usize {
        self.n_h * self.n_in + self.n_out * self.n_h + self.n_h + self.n_out
    }

    /// Index of the weight from input `k` to hidden unit `j`.
    #[inline]
    pub fn w_ih(&self, j: usize, k: usize) -> usize {
        j * self.n_in + k
    }

    /// Index of the weight from hidden unit `j` to output `i`.
    #[inline]
    pub fn w_ho(&self, i: usize, j: usize) -> usize {
        self.n_h * self.n_in + i * self.n_h + j
    }

    /// Index of hidden unit `j`'s bias.
    #[inline]
    pub fn b_h(&self, j: usize) -> usize {
        self.n_h * (self.n_in + self.n_out) + j
    }

    /// Index of output `i`'s bias.
    #[inline]
    pub fn b_o(&self, i: usize) -> usize {
        self.n_h * (self.n_in + self.n_out + 1) + i
    }

    /// Index of hidden unit `j`'s weight on the augmented input `x̃_k`, where
    /// `x̃ = (x_1..x_n_in, 1)`: `w_ih(j, k)` for `k < n_in`, the bias `b_h(j)` for `k == n_in`.
    #[inline]
    pub fn incoming(&self, j: usize, k: usize) -> usize {
        if k < self.n_in {
            self.w_ih(j, k)
        } else {
            self.b_h(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_cover_every_parameter_once_in_gmin_order() {
        let l = Layout {
            n_in: 3,
            n_h: 4,
            n_out: 2,
        };
        let mut seen = Vec::new();
        for j in 0..l.n_h {
            for k in 0..l.n_in {
                seen.push(l.w_ih(j, k));
            }
        }
        for i in 0..l.n_out {
            for j in 0..l.n_h {
                seen.push(l.w_ho(i, j));
            }
        }
        seen.extend((0..l.n_h).map(|j| l.b_h(j)));
        seen.extend((0..l.n_out).map(|i| l.b_o(i)));
        assert_eq!(seen, (0..l.dim()).collect::<Vec<_>>());
        assert_eq!(
            Layout {
                n_in: 2,
                n_h: 3,
                n_out: 2
            }
            .dim(),
            5 * 3 + 2
        );
    }
}
