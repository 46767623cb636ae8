//! `trials.csv`: one row per trial, streamed in trial order and committed atomically.

use std::io;
use std::path::Path;

use super::atomic::AtomicFile;
use crate::engine::TrialBlock;
use crate::pricing::TokenKind;

/// Streams per-trial rows to a CSV file that appears only when complete.
pub struct TrialCsvWriter {
    writer: csv::Writer<AtomicFile>,
    models: usize,
}

impl TrialCsvWriter {
    /// Starts `path` with a header: `trial, success, cost_usd, calls`, then
    /// `MODEL.KIND_tokens` for each model and token kind.
    pub fn create(path: &Path, model_names: &[String]) -> io::Result<TrialCsvWriter> {
        let mut writer = csv::Writer::from_writer(AtomicFile::create(path)?);
        let mut header = vec![
            "trial".to_string(),
            "success".into(),
            "cost_usd".into(),
            "calls".into(),
        ];
        for m in model_names {
            for kind in TokenKind::ALL {
                header.push(format!("{m}.{}_tokens", kind.name()));
            }
        }
        writer.write_record(&header).map_err(io::Error::other)?;
        Ok(TrialCsvWriter {
            writer,
            models: model_names.len(),
        })
    }

    /// Appends a block of rows.
    pub fn write_block(&mut self, block: &TrialBlock) -> io::Result<()> {
        let mut row: Vec<String> = Vec::with_capacity(4 + self.models * TokenKind::COUNT);
        for r in 0..block.len() {
            row.clear();
            row.push((block.first + r as u64).to_string());
            row.push(block.success[r].to_string());
            row.push(format!("{}", block.cost[r]));
            row.push(block.calls[r].to_string());
            for m in 0..self.models {
                for kind in TokenKind::ALL {
                    row.push(block.tokens(r, m, kind).to_string());
                }
            }
            self.writer.write_record(&row).map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// Flushes and moves the file into place.
    pub fn commit(self) -> io::Result<()> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        file.commit()
    }
}
