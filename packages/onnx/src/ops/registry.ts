import { Conv } from './conv.js';
import type { OpDef } from './context.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LOGIC_OPS } from './logic.js';
import { NN_OPS } from './nn.js';
import { NORM_OPS } from './norm.js';
import { SHAPE_OPS } from './shape.js';

/** Every ONNX operator (default domain) the tfjs graph implements. */
export const OPS: Record<string, OpDef> = { Conv, ...NN_OPS, ...NORM_OPS, ...ELEMENTWISE_OPS, ...LOGIC_OPS, ...SHAPE_OPS };

export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();

/** Operators whose all-constant inputs can be evaluated at load (shape arithmetic on the host). */
export const FOLDABLE_OPS = new Set([
  'Constant', 'Identity', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Cast', 'Reshape',
  'Flatten', 'Transpose', 'Add', 'Sub', 'Mul', 'Div', 'Pow',
  'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'Where', 'Mod', 'Range',
  'ConstantOfShape', 'Expand', 'ScatterND',
]);
