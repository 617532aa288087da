//! Signatures per second for a realistic CreateImage: a three-disk mapping, every image field,
//! five tags and a Chinese description, flattened by `spec::to_params` exactly as the client
//! sends it. V1 is measured through the query string it produces (`sign_v1` + `encode_pairs`),
//! V3 through `sign_v3` (canonical query, headers, `Authorization`); each signature gets its own
//! nonce, as on the wire.
//!
//! Run: `cargo bench --bench signing` (a plain binary; prints a table).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use ecsimg::api::product::ECS;
use ecsimg::api::sign::{SigningKey, V3Input, encode_pairs, sign_v1, sign_v3};
use ecsimg::spec::{parse_recipe, to_params};

/// How long each scheme is timed (after a warm-up of a tenth of that).
const RUN_FOR: Duration = Duration::from_secs(2);

const RECIPE: &str = r#"
region = "cn-hangzhou"
client_token = "0c593ea1-3bea-11e9-b96b-88e9fe637760"

[[source.disks]]
disk_type = "system"
snapshot_id = "s-bp17441ohwkdca0a1b2c"
size = 40
[[source.disks]]
disk_type = "data"
snapshot_id = "s-bp1c0doj0taqyzzl9d3e"
size = 200
[[source.disks]]
disk_type = "data"
size = 100

[image]
name = "web-20261127"
family = "web"
version = "2026.11.27"
description = "Nightly web tier image · 夜间构建的 Web 层镜像 (nginx 1.26, openssl 3)"
platform = "Aliyun"
architecture = "x86_64"
boot_mode = "UEFI"
resource_group_id = "rg-bp67acfmxazb4p0x1y2z"

[features]
imds_support = "v2"
detection_strategy = "Standard"

[tags]
env = "prod"
team = "platform"
cost-center = "cc-4711"
owner = "ops@example.com"
"build:pipeline" = "nightly/web#1289"
"#;

fn main() {
    let spec = parse_recipe(RECIPE, Path::new("bench recipe")).expect("the bench recipe is valid");
    let params = to_params(&spec);
    let key = SigningKey {
        access_key_id: "LTAI5tBenchmarkKeyId0001",
        access_key_secret: "bench-secret-0123456789abcdefghij",
        security_token: None,
    };
    let timestamp = "2026-11-27T10:00:00Z";
    println!(
        "CreateImage with {} operation parameters ({} bytes as a query string)\n",
        params.len(),
        encode_pairs(params.iter()).len()
    );
    println!("| scheme | signatures/s | per signature |");
    println!("|---|---:|---:|");
    let v1 = measure(|nonce| {
        let version = ECS.version;
        let signed = sign_v1(
            "POST",
            "CreateImage",
            version,
            &params,
            key,
            timestamp,
            nonce,
        );
        encode_pairs(signed.iter()).len()
    });
    println!("| V1 HMAC-SHA1 | {} |", v1.row());
    let v3 = measure(|nonce| {
        let signed = sign_v3(
            V3Input {
                method: "POST",
                host: "ecs.cn-hangzhou.aliyuncs.com",
                action: "CreateImage",
                version: ECS.version,
                params: &params,
                body: b"",
                content_type: None,
                date: timestamp,
                nonce,
            },
            key,
        );
        signed.query.len() + signed.headers.len()
    });
    println!("| V3 ACS3-HMAC-SHA256 | {} |", v3.row());
}

struct Measured {
    count: u64,
    elapsed: Duration,
}

impl Measured {
    fn row(&self) -> String {
        let per_second = self.count as f64 / self.elapsed.as_secs_f64();
        format!("{per_second:.0} | {:.1} µs", 1e6 / per_second)
    }
}

/// Calls `sign` with a new nonce each time for [`RUN_FOR`], after a short warm-up.
fn measure(mut sign: impl FnMut(&str) -> usize) -> Measured {
    let mut nonce = String::new();
    let mut run = |for_at_least: Duration| {
        let started = Instant::now();
        let mut count = 0u64;
        // Check the clock every 64 signatures so reading it stays out of the figure.
        while started.elapsed() < for_at_least {
            for _ in 0..64 {
                nonce.clear();
                nonce.push_str(&format!("{count:032x}"));
                black_box(sign(black_box(&nonce)));
                count += 1;
            }
        }
        Measured {
            count,
            elapsed: started.elapsed(),
        }
    };
    run(RUN_FOR / 10);
    run(RUN_FOR)
}
