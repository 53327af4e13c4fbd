//! Address parsing and normalisation (stub, being written).
