// tfjs-core registers no gradient functions by itself; Abs-CAM and every white-box adapter need them.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
