//! A table's stream as its definition records it.

use serde::{Deserialize, Serialize};

/// What each stream record holds of the changed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamViewType {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl StreamViewType {
    pub const ALL: [(&'static str, StreamViewType); 4] = [
        ("KEYS_ONLY", StreamViewType::KeysOnly),
        ("NEW_IMAGE", StreamViewType::NewImage),
        ("OLD_IMAGE", StreamViewType::OldImage),
        ("NEW_AND_OLD_IMAGES", StreamViewType::NewAndOldImages),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, view)| *view == self)
            .map(|(name, _)| *name)
            .expect("every view type is named")
    }

    pub fn includes_new(self) -> bool {
        matches!(self, StreamViewType::NewImage | StreamViewType::NewAndOldImages)
    }

    pub fn includes_old(self) -> bool {
        matches!(self, StreamViewType::OldImage | StreamViewType::NewAndOldImages)
    }
}

/// The table's latest stream. Once disabled it stays here (DescribeTable
/// still reports LatestStreamArn) until another is enabled; its records
/// stay readable through the Streams API until they age out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStream {
    pub arn: String,
    pub label: String,
    pub view_type: StreamViewType,
    pub enabled: bool,
}
