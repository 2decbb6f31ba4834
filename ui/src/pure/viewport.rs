//! Zoom and pan of the graph as plain arithmetic on the SVG `viewBox`
//! (shown with `preserveAspectRatio="xMidYMid meet"`), so it is tested on
//! the host and the component only forwards mouse and keys.

/// The visible part of the drawing, in drawing units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewBox {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Space kept around the drawing when fitting.
const FIT_MARGIN: f64 = 32.0;
/// Closest zoom: a box this wide fills the view.
const MIN_WIDTH: f64 = 120.0;
/// Farthest zoom, relative to the drawing.
const MAX_FACTOR: f64 = 8.0;

impl ViewBox {
    /// The whole `width`×`height` drawing with a margin.
    pub fn fit(width: f64, height: f64) -> Self {
        ViewBox {
            x: -FIT_MARGIN,
            y: -FIT_MARGIN,
            w: width.max(1.0) + 2.0 * FIT_MARGIN,
            h: height.max(1.0) + 2.0 * FIT_MARGIN,
        }
    }

    /// [`ViewBox::fit`], but never magnified beyond `max_scale` pixels per
    /// unit in an element of `pw`×`ph` pixels (a small graph stays at a
    /// readable size, centred, instead of filling the pane with huge boxes).
    pub fn fit_capped(width: f64, height: f64, pw: f64, ph: f64, max_scale: f64) -> Self {
        let fit = Self::fit(width, height);
        let (_, _, s) = fit.scale(pw, ph);
        if s <= max_scale {
            return fit;
        }
        let (w, h) = (pw / max_scale, ph / max_scale);
        ViewBox {
            x: fit.x + fit.w / 2.0 - w / 2.0,
            y: fit.y + fit.h / 2.0 - h / 2.0,
            w,
            h,
        }
    }

    /// [`ViewBox::fit_capped`], but never smaller than `min_scale` pixels
    /// per unit either: a drawing too large to read whole is shown from its
    /// top-left corner at a readable size (pan or zoom out for the rest).
    pub fn fit_readable(width: f64, height: f64, pw: f64, ph: f64, min_scale: f64, max_scale: f64) -> Self {
        let fit = Self::fit_capped(width, height, pw, ph, max_scale);
        let (_, _, s) = fit.scale(pw, ph);
        if s >= min_scale {
            return fit;
        }
        ViewBox {
            x: -FIT_MARGIN,
            y: -FIT_MARGIN,
            w: pw / min_scale,
            h: ph / min_scale,
        }
    }

    /// [`ViewBox::fit_capped`], but when that is smaller than `min_scale`
    /// pixels per unit, the view at `min_scale` centred on `centre`: a
    /// tall focus view stays readable around the node it is about.
    pub fn fit_around(width: f64, height: f64, pw: f64, ph: f64, min_scale: f64, max_scale: f64, centre: (f64, f64)) -> Self {
        let fit = Self::fit_capped(width, height, pw, ph, max_scale);
        let (_, _, s) = fit.scale(pw, ph);
        if s >= min_scale {
            return fit;
        }
        ViewBox {
            x: 0.0,
            y: 0.0,
            w: pw / min_scale,
            h: ph / min_scale,
        }
        .centre_on(centre.0, centre.1)
    }

    /// The `viewBox` attribute.
    pub fn attr(&self) -> String {
        format!("{:.1} {:.1} {:.1} {:.1}", self.x, self.y, self.w, self.h)
    }

    /// Drawing units per screen pixel, and the offset `meet` centres the
    /// drawing by, for an element of `pw`×`ph` pixels.
    fn scale(&self, pw: f64, ph: f64) -> (f64, f64, f64) {
        let s = (pw / self.w).min(ph / self.h).max(1e-9);
        ((pw - self.w * s) / 2.0, (ph - self.h * s) / 2.0, s)
    }

    /// The drawing point under pixel (`px`, `py`) of the element.
    pub fn to_drawing(&self, px: f64, py: f64, pw: f64, ph: f64) -> (f64, f64) {
        let (ox, oy, s) = self.scale(pw, ph);
        (self.x + (px - ox) / s, self.y + (py - oy) / s)
    }

    /// Zoomed by `factor` (< 1 closer) keeping drawing point (`cx`, `cy`)
    /// where it is; clamped between a close-up and 8× the drawing.
    pub fn zoom(&self, factor: f64, cx: f64, cy: f64, drawing: (f64, f64)) -> Self {
        let max_w = (drawing.0.max(drawing.1) + 2.0 * FIT_MARGIN) * MAX_FACTOR;
        let w = (self.w * factor).clamp(MIN_WIDTH, max_w.max(MIN_WIDTH));
        let f = w / self.w;
        ViewBox {
            x: cx - (cx - self.x) * f,
            y: cy - (cy - self.y) * f,
            w,
            h: self.h * f,
        }
    }

    /// Moved by (`dx`, `dy`) pixels of an element of `pw`×`ph` (a drag:
    /// the drawing follows the mouse).
    pub fn pan_pixels(&self, dx: f64, dy: f64, pw: f64, ph: f64) -> Self {
        let (_, _, s) = self.scale(pw, ph);
        ViewBox {
            x: self.x - dx / s,
            y: self.y - dy / s,
            ..*self
        }
    }

    /// Centred on (`cx`, `cy`), same zoom.
    pub fn centre_on(&self, cx: f64, cy: f64) -> Self {
        ViewBox {
            x: cx - self.w / 2.0,
            y: cy - self.h / 2.0,
            ..*self
        }
    }

    /// Whether the rectangle is fully visible.
    pub fn contains(&self, x: f64, y: f64, w: f64, h: f64) -> bool {
        x >= self.x && y >= self.y && x + w <= self.x + self.w && y + h <= self.y + self.h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_keeps_the_point_under_the_mouse() {
        let v = ViewBox::fit(1000.0, 500.0);
        let (cx, cy) = v.to_drawing(300.0, 200.0, 800.0, 600.0);
        let z = v.zoom(0.5, cx, cy, (1000.0, 500.0));
        let (cx2, cy2) = z.to_drawing(300.0, 200.0, 800.0, 600.0);
        assert!((cx - cx2).abs() < 1e-6 && (cy - cy2).abs() < 1e-6);
        assert!((z.w - v.w / 2.0).abs() < 1e-6);
    }

    #[test]
    fn small_drawings_are_not_blown_up() {
        let v = ViewBox::fit_capped(200.0, 100.0, 800.0, 600.0, 1.25);
        assert!((v.w - 640.0).abs() < 1e-6 && (v.h - 480.0).abs() < 1e-6);
        assert!((v.x + v.w / 2.0 - 100.0).abs() < 1e-6);
        assert_eq!(
            ViewBox::fit_capped(2000.0, 1000.0, 800.0, 600.0, 1.25),
            ViewBox::fit(2000.0, 1000.0)
        );
    }

    #[test]
    fn large_drawings_start_readable_at_the_top_left() {
        let v = ViewBox::fit_readable(4000.0, 3000.0, 800.0, 600.0, 0.8, 1.25);
        assert!((v.w - 1000.0).abs() < 1e-6 && (v.h - 750.0).abs() < 1e-6);
        assert_eq!((v.x, v.y), (-FIT_MARGIN, -FIT_MARGIN));
        // Readable whole: the plain fit.
        assert_eq!(
            ViewBox::fit_readable(700.0, 500.0, 800.0, 600.0, 0.8, 1.25),
            ViewBox::fit_capped(700.0, 500.0, 800.0, 600.0, 1.25)
        );
    }

    #[test]
    fn a_tall_focus_view_is_centred_on_its_node_at_a_readable_size() {
        let v = ViewBox::fit_around(400.0, 3000.0, 800.0, 600.0, 0.7, 1.25, (350.0, 1500.0));
        assert!((v.w - 800.0 / 0.7).abs() < 1e-6);
        assert!((v.x + v.w / 2.0 - 350.0).abs() < 1e-6 && (v.y + v.h / 2.0 - 1500.0).abs() < 1e-6);
        assert_eq!(
            ViewBox::fit_around(700.0, 500.0, 800.0, 600.0, 0.7, 1.25, (0.0, 0.0)),
            ViewBox::fit_capped(700.0, 500.0, 800.0, 600.0, 1.25)
        );
    }

    #[test]
    fn zoom_is_clamped() {
        let v = ViewBox::fit(100.0, 100.0);
        assert_eq!(v.zoom(0.0001, 0.0, 0.0, (100.0, 100.0)).w, MIN_WIDTH);
        assert!(v.zoom(1e6, 0.0, 0.0, (100.0, 100.0)).w <= (100.0 + 64.0) * MAX_FACTOR);
    }

    #[test]
    fn dragging_moves_the_drawing_with_the_mouse() {
        let v = ViewBox::fit(800.0, 600.0);
        let p = v.pan_pixels(10.0, 0.0, 864.0, 664.0);
        assert!((p.x - (v.x - 10.0)).abs() < 1e-6);
    }
}
