/**
 * The Enterprise License Manager's state: which user holds which product SKU. Users are keyed by
 * primary e-mail, as the API keys them (`userId` is the e-mail there).
 */
import { duplicate, invalid, notFound } from './errors.ts';
import { etagOf } from './ids.ts';

/** A licence assignment as the API shows it. */
export interface LicenceAssignment {
  kind: 'licensing#licenseAssignment';
  etags: string;
  productId: string;
  skuId: string;
  userId: string;
  productName: string;
  skuName: string;
  selfLink: string;
}

/** Licence assignments of one emulator. */
export class LicenceState {
  private readonly userExists: (email: string) => boolean;
  private assignments: LicenceAssignment[] = [];

  constructor(options: { userExists: (email: string) => boolean }) {
    this.userExists = options.userExists;
  }

  reset(): void {
    this.assignments = [];
  }

  private make(productId: string, skuId: string, userId: string): LicenceAssignment {
    const a: LicenceAssignment = {
      kind: 'licensing#licenseAssignment',
      etags: '',
      productId,
      skuId,
      userId: userId.toLowerCase(),
      productName: productId === 'Google-Apps' ? 'Google Workspace' : productId,
      skuName: skuId,
      selfLink: `https://licensing.googleapis.com/apps/licensing/v1/product/${productId}/sku/${skuId}/user/${userId}`,
    };
    a.etags = etagOf({ ...a, etags: undefined });
    return a;
  }

  private index(productId: string, skuId: string, userId: string): number {
    const user = userId.toLowerCase();
    return this.assignments.findIndex(
      (a) => a.productId === productId && a.skuId === skuId && a.userId === user,
    );
  }

  /** Seeds or inserts an assignment (`licenseAssignments.insert`). */
  assign(productId: string, skuId: string, userId: string): LicenceAssignment {
    if (!this.userExists(userId))
      throw invalid(`Invalid Input: userId '${userId}' is not a user of this customer`);
    if (this.index(productId, skuId, userId) >= 0)
      throw duplicate('User already has a license for the specified product and SKU');
    const a = this.make(productId, skuId, userId);
    this.assignments.push(a);
    return structuredClone(a);
  }

  get(productId: string, skuId: string, userId: string): LicenceAssignment {
    const i = this.index(productId, skuId, userId);
    const found = this.assignments[i];
    if (!found) throw notFound('licenseAssignment');
    return structuredClone(found);
  }

  delete(productId: string, skuId: string, userId: string): void {
    const i = this.index(productId, skuId, userId);
    if (i < 0) throw notFound('licenseAssignment');
    this.assignments.splice(i, 1);
  }

  /** `patch`/`update`: moves the user to the SKU named in the body. */
  reassign(
    productId: string,
    skuId: string,
    userId: string,
    body: Record<string, unknown>,
  ): LicenceAssignment {
    const i = this.index(productId, skuId, userId);
    if (i < 0) throw notFound('licenseAssignment');
    const target = typeof body.skuId === 'string' && body.skuId !== '' ? body.skuId : skuId;
    if (typeof body.productId === 'string' && body.productId !== productId)
      throw invalid('Invalid Input: productId cannot change');
    const a = this.make(productId, target, userId);
    this.assignments[i] = a;
    return structuredClone(a);
  }

  /** Every assignment (for tests and the state snapshot). */
  all(): LicenceAssignment[] {
    return this.assignments.map((a) => structuredClone(a));
  }

  list(productId: string, skuId?: string): LicenceAssignment[] {
    return this.assignments
      .filter((a) => a.productId === productId && (skuId === undefined || a.skuId === skuId))
      .map((a) => structuredClone(a));
  }
}
