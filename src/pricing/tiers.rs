//! Prompt-length price tiers: some providers bill a whole request at higher rates when its
//! prompt passes a threshold (Anthropic's long-context pricing and Google's Gemini 2.5 Pro
//! above 200,000 prompt tokens; LiteLLM's `..._above_200k_tokens` keys). The threshold counts
//! every prompt token of the call (plain input, cache reads and cache writes); a prompt of
//! exactly the threshold stays at the lower tier ("above 200K" means more than 200,000).

use serde::Serialize;

use super::TokenKind;

/// Rates that apply to a whole call whose prompt has more than `above_prompt_tokens` tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptTier {
    /// The threshold: a prompt of more tokens than this is billed at this tier.
    pub above_prompt_tokens: u64,
    /// USD per million tokens by [`TokenKind::index`], for every token of such a call.
    pub per_mtok: [f64; TokenKind::COUNT],
}

/// The tier of a call with `prompt` tokens given ascending `thresholds`: 0 when it passes none,
/// `t` when it passes the first `t` (a prompt equal to a threshold does not pass it).
#[inline]
pub fn tier_of(thresholds: &[u64], prompt: u64) -> usize {
    thresholds.iter().take_while(|&&t| prompt > t).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_at_the_threshold_stays_below() {
        let th = [200_000, 1_000_000];
        assert_eq!(tier_of(&th, 199_999), 0);
        assert_eq!(tier_of(&th, 200_000), 0);
        assert_eq!(tier_of(&th, 200_001), 1);
        assert_eq!(tier_of(&th, 1_000_000), 1);
        assert_eq!(tier_of(&th, 1_000_001), 2);
        assert_eq!(tier_of(&[], u64::MAX), 0);
    }
}
