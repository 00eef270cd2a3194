//! How a queue entry (the records of one writer batch or one flush, one
//! per line) is stored: deflated against a preset dictionary of the
//! records' common text, so that a batch of one ~1 KB record stores a few
//! hundred bytes. Every byte the queue holds is encrypted and
//! authenticated by SQLCipher when written, read back by the mover and
//! freed again, so the trail's cost on the write path follows its size.
//!
//! An entry is `DEFLATED` + the records' length (u32, little endian) + a
//! raw deflate stream against [`DICTIONARY`]. Entries written before
//! compression are the lines themselves (they start with `{`).

use std::borrow::Cow;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The tag of an entry deflated against [`DICTIONARY`]. The dictionary is
/// part of the stored format: a different one needs a new tag.
const DEFLATED: u8 = 1;
const HEADER: usize = 5;

/// Text most records share (deflate finds matches nearest the end first,
/// so the commonest, a data event's fields, come last).
const DICTIONARY: &[u8] = concat!(
    r#"{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::000000000000:user/","userName":""#,
    r#"{"type":"AssumedRole","principalId":"AROA","arn":"arn:aws:sts::000000000000:assumed-role/","#,
    r#""sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::"#,
    r#"000000000000:role/","accountId":"000000000000","userName":""},"attributes":{"creationDate":""#,
    r#"2026-12-01T00:00:00Z","mfaAuthenticated":"false"}}},"errorCode":"ConditionalCheckFailedException","#,
    r#""errorMessage":"The conditional request failed","errorCode":"AccessDenied","errorMessage":""#,
    r#"User: arn:aws:iam::000000000000:user/ is not authorized to perform: dynamodb:"#,
    r#""eventSource":"iam.amazonaws.com","eventSource":"sts.amazonaws.com","eventName":"DescribeTable","#,
    r#""eventName":"Query","eventName":"UpdateItem","eventName":"DeleteItem","eventName":"BatchWriteItem","#,
    r#""managementEvent":true,"eventCategory":"Management"}"#,
    r#""userAgent":"aws-sdk-js/3 ua/2.1 os/linux lang/js md/nodejs#20 api/dynamodb#3"#,
    r#""userAgent":"Boto3/1.35 md/Botocore#1.35 ua/2.0 os/linux#6 md/arch#x86_64 lang/python#3.11 "#,
    r#"md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35","#,
    r#"{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"000000000000","#,
    r#""arn":"arn:aws:iam::000000000000:root","accountId":"000000000000","accessKeyId":"AKIA"},"#,
    r#""eventTime":"2026-12-01T00:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"GetItem","#,
    r#""awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"","#,
    r#""requestParameters":{"tableName":"","key":{"pk":"HIDDEN_DUE_TO_SECURITY_REASONS","#,
    r#""sk":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"responseElements":null,"#,
    r#""requestID":"00000000-0000-0000-0000-000000000000","eventID":"00000000-0000-0000-0000-000000000000","#,
    r#""readOnly":true,"resources":[{"accountId":"000000000000","type":"AWS::DynamoDB::Table","#,
    r#""ARN":"arn:aws:dynamodb:us-east-1:000000000000:table/"}],"eventType":"AwsApiCall","#,
    r#""eventName":"PutItem","readOnly":false,"resources":[{"accountId":"000000000000","#,
    r#""type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:us-east-1:000000000000:table/"}],"#,
    r#""eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"000000000000","#,
    r#""eventCategory":"Data"}"#,
    "\n"
)
.as_bytes();

/// Most bytes of records one entry decodes to: far above any batch the
/// writer or the flusher makes, so a corrupt length cannot exhaust memory.
const MAX_LINES: usize = 256 << 20;

/// `lines` as stored in the queue.
pub(crate) fn encode(lines: &[u8]) -> Vec<u8> {
    let Ok(length) = u32::try_from(lines.len()) else {
        return lines.to_vec();
    };
    let mut compress = Compress::new(Compression::fast(), false);
    if compress.set_dictionary(DICTIONARY).is_err() {
        return lines.to_vec();
    }
    let mut out = Vec::with_capacity(HEADER + lines.len() / 2 + 64);
    out.push(DEFLATED);
    out.extend_from_slice(&length.to_le_bytes());
    loop {
        let consumed = compress.total_in() as usize;
        match compress.compress_vec(&lines[consumed..], &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return out,
            Ok(_) => out.reserve(out.capacity().max(256)),
            Err(_) => return lines.to_vec(),
        }
    }
}

/// The lines of a stored entry; `None` if it does not decode.
pub(crate) fn decode(entry: &[u8]) -> Option<Cow<'_, [u8]>> {
    let Some((&DEFLATED, rest)) = entry.split_first() else {
        return Some(Cow::Borrowed(entry));
    };
    let length = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    if length > MAX_LINES {
        return None;
    }
    let stream = &rest[4..];
    let mut decompress = Decompress::new(false);
    decompress.set_dictionary(DICTIONARY).ok()?;
    let mut out = Vec::with_capacity(length);
    let status = decompress
        .decompress_vec(stream, &mut out, FlushDecompress::Finish)
        .ok()?;
    (status == Status::StreamEnd && out.len() == length).then_some(Cow::Owned(out))
}

/// The records of an entry, one per line; an entry that does not decode
/// (which no write of the trail makes) has none, and is logged.
pub(crate) fn lines(entry: &[u8]) -> Cow<'_, [u8]> {
    decode(entry).unwrap_or_else(|| {
        tracing::error!(
            "an audit queue entry of {} bytes does not decode: its records are skipped",
            entry.len()
        );
        Cow::Borrowed(&[])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_smaller() {
        let record = concat!(
            r#"{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"111122223333","#,
            r#""arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"benchaccess"},"#,
            r#""eventTime":"2026-12-02T01:20:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"PutItem","#,
            r#""awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"halyard-bench","#,
            r#""requestParameters":{"tableName":"halyard_bench","key":{"pk":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"#,
            r#""responseElements":null,"#,
            r#""requestID":"5b0c1d0e-8a5f-4b8e-9f0a-1c2d3e4f5a6b","eventID":"0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7","#,
            r#""readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::DynamoDB::Table","#,
            r#""ARN":"arn:aws:dynamodb:us-east-1:111122223333:table/halyard_bench"}],"eventType":"AwsApiCall","#,
            r#""managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}"#,
            "\n"
        )
        .as_bytes();
        let one = encode(record);
        assert!(one.len() * 3 < record.len(), "{} bytes of {}", one.len(), record.len());
        assert_eq!(decode(&one).unwrap(), record);
        let batch = record.repeat(20);
        let twenty = encode(&batch);
        assert!(
            twenty.len() * 8 < batch.len(),
            "{} bytes of {}",
            twenty.len(),
            batch.len()
        );
        assert_eq!(decode(&twenty).unwrap(), batch.as_slice());
        assert_eq!(decode(&encode(b"")).unwrap(), b"".as_slice());
    }

    #[test]
    fn entries_written_before_compression_still_read() {
        assert_eq!(decode(b"{\"a\":1}\n").unwrap(), b"{\"a\":1}\n".as_slice());
    }

    #[test]
    fn damaged_entries_do_not_decode() {
        let mut entry = encode(b"{\"eventName\":\"PutItem\"}\n");
        let last = entry.len() - 1;
        entry[last] ^= 0xff;
        assert!(decode(&entry).is_none());
        assert!(decode(&[DEFLATED, 0xff, 0xff, 0xff, 0x7f]).is_none());
        assert!(decode(&[DEFLATED, 1]).is_none());
        assert!(lines(&[DEFLATED]).is_empty());
    }
}
