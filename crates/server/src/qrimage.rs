//! QR code images: rendering a url as a PNG, and reading the text back out of an uploaded
//! picture (PNG or JPEG) for simulated scans.

use image::{ImageFormat, Luma};
use qrcode::QrCode;

/// A PNG of a QR code encoding `text`, with a quiet zone, about 430 pixels wide.
pub fn png(text: &str) -> Result<Vec<u8>, String> {
    png_sized(text, 430)
}

/// A PNG of a QR code encoding `text`, at least `width` pixels wide (a mini program's code).
pub fn png_sized(text: &str, width: u32) -> Result<Vec<u8>, String> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let img = code.render::<Luma<u8>>().min_dimensions(width, width).build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The text of the first QR code found in an image, if any.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let img = image::load_from_memory(bytes).map_err(|e| format!("not a PNG or JPEG image: {e}"))?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or("no QR code found in the image")?;
    let (_, text) = grid.decode().map_err(|e| format!("the QR code could not be read: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rendered_code_decodes_to_its_text() {
        let url = "http://127.0.0.1:8080/q/AbCdEfGhIjKlMnOpQrStUv";
        let png = super::png(url).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(super::decode(&png).unwrap(), url);
        assert!(super::decode(b"not an image").is_err());
    }
}
