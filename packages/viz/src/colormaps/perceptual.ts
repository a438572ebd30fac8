import { polynomial } from './channel.js';

/*
 * Viridis and inferno (matplotlib's perceptually uniform maps, by Smith and van der Walt) as
 * degree-6 least-squares polynomial fits per channel. The coefficients are Matt Zucconi's published
 * fits ("Colormap polynomial approximations", Shadertoy, 2020, public domain), stored here as
 * numbers, lowest degree first. They stay within a few levels (of 255) of matplotlib's tables; the tests check
 * published anchor colours (viridis #440154, #21918c, #fde725; inferno #000004, #bc3754, #fcffa4).
 */

export const viridis = [
  polynomial([0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486, 6.228269936347081, 4.776384997670288, -5.435455855934631]),
  polynomial([0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509, -13.74514537774601, 4.645852612178535]),
  polynomial([0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105, -65.35303263337234, 26.3124352495832]),
] as const;

export const inferno = [
  polynomial([0.0002189403691192265, 0.1065134194856116, 11.60249308247187, -41.70399613139459, 77.162935699427, -71.31942824499214, 25.13112622477341]),
  polynomial([0.001651004631001012, 0.5639564367884091, -3.972853965665698, 17.43639888205313, -33.40235894210092, 32.62606426397723, -12.24266895238567]),
  polynomial([-0.01948089843709184, 3.932712388889277, -15.9423941062914, 44.35414519872813, -81.80730925738993, 73.20951985803202, -23.07032500287172]),
] as const;

/*
 * Turbo (Google's rainbow replacement for jet, by Anton Mikhailov, 2019) as the degree-5 polynomial
 * approximation published with it ("Turbo, An Improved Rainbow Colormap for Visualization", Google
 * AI blog, 2019, Apache-2.0). It is close to the official table in the middle and up
 * to ~35 levels off at the very ends (t < 0.03 or t > 0.97).
 */
export const turbo = [
  polynomial([0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943]),
  polynomial([0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]),
  polynomial([0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]),
] as const;
